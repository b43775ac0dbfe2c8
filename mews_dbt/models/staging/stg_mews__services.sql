{%- set loaded = mews_loaded_columns(source('mews', 'services')) -%}

with source as (

    select * from {{ source('mews', 'services') }}

),

renamed as (

    select
        id as service_id,
        enterprise_id,
        -- Name is deprecated by Mews but still sent; Names holds the translations.
        coalesce(
            {{ mews_optional_column('names__en_gb', loaded) }},
            {{ mews_optional_column('name', loaded) }}
        ) as service_name,
        data__discriminator as service_type,
        cast(is_active as {{ mews_type('boolean') }}) as is_active,
        cast(options__bill_as_package as {{ mews_type('boolean') }}) as is_billed_as_package,
        cast(ordering as {{ mews_type('integer') }}) as ordering,
        {{ mews_optional_column('external_identifier', loaded) }} as external_identifier,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
