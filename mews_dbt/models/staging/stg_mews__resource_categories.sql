{%- set loaded = mews_loaded_columns(source('mews', 'resource_categories')) -%}

with source as (

    select * from {{ source('mews', 'resource_categories') }}

),

renamed as (

    select
        id as resource_category_id,
        enterprise_id,
        service_id,
        type as resource_category_type,
        {{ mews_optional_column('names__en_gb', loaded) }} as resource_category_name,
        cast(is_active as {{ mews_type('boolean') }}) as is_active

    from source

)

select * from renamed
