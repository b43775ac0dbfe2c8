with recursive

enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

-- Stays that occupy a room: Confirmed, Started or Processed, on local arrival and departure dates.
stays as (

    select
        reservations.enterprise_id,
        reservations.requested_resource_category_id as resource_category_id,
        {{ mews_local_date('reservations.scheduled_start_utc', 'enterprises.time_zone_identifier') }}
            as arrival_date,
        {{ mews_local_date('reservations.scheduled_end_utc', 'enterprises.time_zone_identifier') }}
            as departure_date
    from {{ ref('stg_mews__reservations') }} as reservations
    inner join enterprises
        on reservations.enterprise_id = enterprises.enterprise_id
    where reservations.state in ('Confirmed', 'Started', 'Processed')

),

-- Every night of each enterprise from its first occupied night to its last.
nights as (

    select enterprise_id, min(arrival_date) as night_date, max(departure_date) as last_departure
    from stays
    where arrival_date < departure_date
    group by 1

    union all

    select enterprise_id, cast({{ dbt.dateadd('day', 1, 'night_date') }} as date), last_departure
    from nights
    where cast({{ dbt.dateadd('day', 1, 'night_date') }} as date) < last_departure

),

categories as (

    select resource_category_id, enterprise_id
    from {{ ref('stg_mews__resource_categories') }}
    where is_active

),

-- Active resources by their active category assignment.
category_resources as (

    select distinct assignments.resource_category_id, resources.resource_id
    from {{ ref('stg_mews__resource_category_assignments') }} as assignments
    inner join {{ ref('stg_mews__resources') }} as resources
        on assignments.resource_id = resources.resource_id
    where assignments.is_active and resources.is_active

),

-- A block takes a room out of order on the local nights from its start to its end date.
out_of_order as (

    select
        blocks.resource_id,
        {{ mews_local_date('blocks.start_utc', 'enterprises.time_zone_identifier') }} as first_night,
        {{ mews_local_date('blocks.end_utc', 'enterprises.time_zone_identifier') }} as end_date
    from {{ ref('stg_mews__resource_blocks') }} as blocks
    inner join enterprises
        on blocks.enterprise_id = enterprises.enterprise_id
    where blocks.is_active and blocks.resource_block_type = 'OutOfOrder'

),

available as (

    select
        nights.enterprise_id,
        nights.night_date,
        categories.resource_category_id,
        count(distinct category_resources.resource_id) as rooms_available
    from nights
    inner join categories
        on nights.enterprise_id = categories.enterprise_id
    left join category_resources
        on categories.resource_category_id = category_resources.resource_category_id
        and not exists (
            select 1
            from out_of_order
            where out_of_order.resource_id = category_resources.resource_id
                and out_of_order.first_night <= nights.night_date
                and nights.night_date < out_of_order.end_date
        )
    group by 1, 2, 3

),

sold as (

    select
        nights.enterprise_id,
        nights.night_date,
        stays.resource_category_id,
        count(*) as rooms_sold
    from nights
    inner join stays
        on nights.enterprise_id = stays.enterprise_id
        and stays.arrival_date <= nights.night_date
        and nights.night_date < stays.departure_date
    group by 1, 2, 3

),

occupancy as (

    select
        available.enterprise_id,
        available.night_date,
        available.resource_category_id,
        cast(available.rooms_available as {{ mews_type('bigint') }}) as rooms_available,
        cast(coalesce(sold.rooms_sold, 0) as {{ mews_type('bigint') }}) as rooms_sold,
        cast(coalesce(sold.rooms_sold, 0) as {{ mews_type('double') }})
            / nullif(available.rooms_available, 0) as occupancy
    from available
    left join sold
        on available.enterprise_id = sold.enterprise_id
        and available.night_date = sold.night_date
        and available.resource_category_id = sold.resource_category_id

)

select * from occupancy
