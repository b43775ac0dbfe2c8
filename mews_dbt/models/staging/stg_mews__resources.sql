with source as (

    select * from {{ source('mews', 'resources') }}

),

renamed as (

    select
        id as resource_id,
        enterprise_id,
        name as resource_name,
        cast(is_active as {{ mews_type('boolean') }}) as is_active,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
