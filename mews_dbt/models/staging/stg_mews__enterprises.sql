{%- set loaded = mews_loaded_columns(source('mews', 'enterprises')) -%}

with source as (

    select * from {{ source('mews', 'enterprises') }}

),

renamed as (

    select
        id as enterprise_id,
        name as enterprise_name,
        -- IANA time zone name (e.g. Europe/Prague): every local date of the marts is taken in it.
        time_zone_identifier,
        {{ mews_optional_column('external_identifier', loaded) }} as external_identifier,
        {{ mews_optional_column('pricing', loaded) }} as pricing,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
