with reservations as (

    select * from {{ ref('stg_mews__reservations') }}

),

enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

reservations_per_day as (

    select
        reservations.enterprise_id,
        {{ mews_local_date('reservations.created_utc', 'enterprises.time_zone_identifier') }}
            as created_date,
        reservations.state,
        reservations.origin,
        count(*) as reservation_count
    from reservations
    inner join enterprises
        on reservations.enterprise_id = enterprises.enterprise_id
    group by 1, 2, 3, 4

)

select * from reservations_per_day
