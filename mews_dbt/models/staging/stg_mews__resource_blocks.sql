with source as (

    select * from {{ source('mews', 'resource_blocks') }}

),

renamed as (

    select
        id as resource_block_id,
        enterprise_id,
        assigned_resource_id as resource_id,
        type as resource_block_type,
        cast(is_active as {{ mews_type('boolean') }}) as is_active,
        {{ mews_utc('start_utc') }} as start_utc,
        {{ mews_utc('end_utc') }} as end_utc

    from source

)

select * from renamed
