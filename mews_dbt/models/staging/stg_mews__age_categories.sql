{%- set loaded = mews_loaded_columns(source('mews', 'age_categories')) -%}

with source as (

    select * from {{ source('mews', 'age_categories') }}

),

renamed as (

    select
        id as age_category_id,
        enterprise_id,
        service_id,
        {{ mews_optional_column('names__en_gb', loaded) }} as age_category_name,
        classification,
        {{ mews_optional_column('minimal_age', loaded, 'integer') }} as minimal_age,
        {{ mews_optional_column('maximal_age', loaded, 'integer') }} as maximal_age,
        cast(is_active as {{ mews_type('boolean') }}) as is_active,
        {{ mews_optional_column('external_identifier', loaded) }} as external_identifier,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
