with recursive

enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

-- Arrival and departure are the enterprise's local dates, so an evening arrival west of UTC
-- stays on its own night.
stays as (

    select
        reservations.reservation_id,
        reservations.enterprise_id,
        {{ mews_local_date('reservations.scheduled_start_utc', 'enterprises.time_zone_identifier') }}
            as arrival_date,
        {{ mews_local_date('reservations.scheduled_end_utc', 'enterprises.time_zone_identifier') }}
            as departure_date
    from {{ ref('stg_mews__reservations') }} as reservations
    inner join enterprises
        on reservations.enterprise_id = enterprises.enterprise_id
    where reservations.state <> 'Canceled'

),

-- One row per reservation and night it covers: a stay from the 1st to the 3rd covers the nights
-- of the 1st and the 2nd; a stay that starts and ends on the same day covers none.
stay_nights as (

    select
        reservation_id,
        enterprise_id,
        arrival_date as night_date,
        departure_date
    from stays
    where arrival_date < departure_date

    union all

    select
        reservation_id,
        enterprise_id,
        cast({{ dbt.dateadd('day', 1, 'night_date') }} as date) as night_date,
        departure_date
    from stay_nights
    where cast({{ dbt.dateadd('day', 1, 'night_date') }} as date) < departure_date

),

person_counts as (

    select * from {{ ref('stg_mews__reservation_person_counts') }}

),

age_categories as (

    select * from {{ ref('stg_mews__age_categories') }}

),

guests_per_night as (

    select
        stay_nights.enterprise_id,
        stay_nights.night_date,
        -- A person count whose age category was not loaded still counts as guests.
        coalesce(age_categories.classification, 'Unknown') as age_category_classification,
        cast(sum(person_counts.person_count) as {{ mews_type('bigint') }}) as guest_count
    from stay_nights
    inner join person_counts
        on stay_nights.reservation_id = person_counts.reservation_id
    left join age_categories
        on person_counts.age_category_id = age_categories.age_category_id
    group by 1, 2, 3

)

select * from guests_per_night
