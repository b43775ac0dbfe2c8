with source as (

    select * from {{ source('mews', 'resource_category_assignments') }}

),

renamed as (

    select
        id as resource_category_assignment_id,
        category_id as resource_category_id,
        resource_id,
        cast(is_active as {{ mews_type('boolean') }}) as is_active

    from source

)

select * from renamed
