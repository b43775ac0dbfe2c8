with reservations as (

    select * from {{ ref('stg_mews__reservations') }}

),

reservations_per_day as (

    select
        enterprise_id,
        cast(created_utc as date) as created_date,
        state,
        origin,
        count(*) as reservation_count
    from reservations
    group by 1, 2, 3, 4

)

select * from reservations_per_day
