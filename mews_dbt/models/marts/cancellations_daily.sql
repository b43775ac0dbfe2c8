with enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

-- Every date is the enterprise's local date, lead time included.
cancelled as (

    select
        reservations.enterprise_id,
        {{ mews_local_date('reservations.cancelled_utc', 'enterprises.time_zone_identifier') }}
            as cancellation_date,
        {{ mews_local_date('reservations.created_utc', 'enterprises.time_zone_identifier') }}
            as created_date,
        {{ mews_local_date('reservations.scheduled_start_utc', 'enterprises.time_zone_identifier') }}
            as arrival_date,
        {{ mews_local_date('reservations.scheduled_end_utc', 'enterprises.time_zone_identifier') }}
            as departure_date
    from {{ ref('stg_mews__reservations') }} as reservations
    inner join enterprises
        on reservations.enterprise_id = enterprises.enterprise_id
    where reservations.state = 'Canceled'
        and reservations.cancelled_utc is not null

),

cancellations_per_day as (

    select
        enterprise_id,
        cancellation_date,
        count(*) as cancellations,
        cast(
            sum(greatest({{ dbt.datediff('arrival_date', 'departure_date', 'day') }}, 0))
            as {{ mews_type('bigint') }}
        ) as cancelled_room_nights,
        cast(
            percentile_cont(0.5) within group (
                order by {{ dbt.datediff('created_date', 'arrival_date', 'day') }}
            )
            as {{ mews_type('double') }}
        ) as median_lead_time_days
    from cancelled
    group by 1, 2

)

select * from cancellations_per_day
