with source as (

    select * from {{ source('mews', 'reservations__person_counts') }}

),

renamed as (

    select
        reservation_id,
        age_category_id,
        enterprise_id,
        cast("count" as {{ mews_type('bigint') }}) as person_count

    from source

)

select * from renamed
