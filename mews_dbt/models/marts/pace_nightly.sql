{#- Rooms on the books per enterprise, local snapshot date and future local night, from the
    versions reservations_snapshot recorded. A version counts on snapshot date S when it was the
    one valid at the end of local day S: local date(dbt_valid_from) <= S < local
    date(dbt_valid_to). Snapshot dates run day by day from the enterprise's first recorded
    version to its local today. -#}

with enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

versions as (

    select
        snapshot.dbt_scd_id as version_id,
        snapshot.reservation_id,
        snapshot.enterprise_id,
        snapshot.state,
        {{ mews_local_date('snapshot.dbt_valid_from', 'enterprises.time_zone_identifier') }}
            as valid_from_date,
        {{ mews_local_date('snapshot.dbt_valid_to', 'enterprises.time_zone_identifier') }}
            as valid_to_date,
        {{ mews_local_date('snapshot.scheduled_start_utc', 'enterprises.time_zone_identifier') }}
            as arrival_date,
        {{ mews_local_date('snapshot.scheduled_end_utc', 'enterprises.time_zone_identifier') }}
            as departure_date
    from {{ ref('reservations_snapshot') }} as snapshot
    inner join enterprises
        on snapshot.enterprise_id = enterprises.enterprise_id

),

-- 0 to 9999: days of the snapshot date spine and nights of a stay, in any SQL dialect.
digits as (

    select 0 as digit union all select 1 union all select 2 union all select 3
    union all select 4 union all select 5 union all select 6 union all select 7
    union all select 8 union all select 9

),

numbers as (

    select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as n
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands

),

snapshot_dates as (

    select
        spans.enterprise_id,
        numbers.n as day_number,
        cast({{ dbt.dateadd('day', 'numbers.n', 'spans.first_date') }} as date) as snapshot_date
    from (
        select
            versions.enterprise_id,
            min(versions.valid_from_date) as first_date,
            min({{ mews_local_date(mews_utc_now(), 'enterprises.time_zone_identifier') }})
                as today
        from versions
        inner join enterprises
            on versions.enterprise_id = enterprises.enterprise_id
        group by 1
    ) as spans
    inner join numbers
        on numbers.n <= {{ dbt.datediff('spans.first_date', 'spans.today', 'day') }}

),

-- Each room-occupying version's local nights: arrival <= night < departure.
booked_nights as (

    select
        versions.version_id,
        versions.reservation_id,
        versions.enterprise_id,
        versions.valid_from_date,
        versions.valid_to_date,
        cast({{ dbt.dateadd('day', 'numbers.n', 'versions.arrival_date') }} as date) as night_date
    from versions
    inner join numbers
        on numbers.n < {{ dbt.datediff('versions.arrival_date', 'versions.departure_date', 'day') }}
    where versions.state in ('Confirmed', 'Started', 'Processed')

),

-- The reservations' current SpaceOrder items that are not canceled, per local night consumed.
item_nights as (

    select
        items.service_order_id as reservation_id,
        {{ mews_local_date('items.consumed_utc', 'enterprises.time_zone_identifier') }}
            as night_date,
        min(items.currency) as first_currency,
        max(items.currency) as last_currency,
        sum(items.amount_net) as amount_net
    from {{ ref('stg_mews__order_items') }} as items
    inner join enterprises
        on items.enterprise_id = enterprises.enterprise_id
    where items.order_item_type = 'SpaceOrder'
        and items.accounting_state <> 'Canceled'
    group by 1, 2

),

on_the_books as (

    select
        dates.enterprise_id,
        dates.day_number,
        booked_nights.night_date,
        count(*) as rooms_on_the_books,
        min(item_nights.first_currency) as first_currency,
        max(item_nights.last_currency) as last_currency,
        coalesce(sum(item_nights.amount_net), 0) as room_revenue_on_the_books
    from snapshot_dates as dates
    inner join booked_nights
        on dates.enterprise_id = booked_nights.enterprise_id
        and booked_nights.valid_from_date <= dates.snapshot_date
        and (booked_nights.valid_to_date is null or dates.snapshot_date < booked_nights.valid_to_date)
        and dates.snapshot_date <= booked_nights.night_date
    left join item_nights
        on booked_nights.reservation_id = item_nights.reservation_id
        and booked_nights.night_date = item_nights.night_date
    group by 1, 2, 3

),

-- Every future night that some recorded version put on the books, on every snapshot date, so a
-- night whose last room was canceled stays with 0 rooms and its pickup shows the loss.
grid as (

    select dates.enterprise_id, dates.day_number, dates.snapshot_date, nights.night_date
    from snapshot_dates as dates
    inner join (select distinct enterprise_id, night_date from booked_nights) as nights
        on dates.enterprise_id = nights.enterprise_id
        and dates.snapshot_date <= nights.night_date

),

books as (

    select
        grid.enterprise_id,
        grid.day_number,
        grid.snapshot_date,
        grid.night_date,
        cast(coalesce(on_the_books.rooms_on_the_books, 0) as {{ mews_type('bigint') }}) as rooms_on_the_books,
        cast(
            case
                when on_the_books.first_currency is null
                    or on_the_books.first_currency = on_the_books.last_currency
                    then coalesce(on_the_books.room_revenue_on_the_books, 0)
            end as {{ mews_type('double') }}
        ) as room_revenue_on_the_books
    from grid
    left join on_the_books
        on grid.enterprise_id = on_the_books.enterprise_id
        and grid.day_number = on_the_books.day_number
        and grid.night_date = on_the_books.night_date

),

pace as (

    select
        books.snapshot_date,
        books.enterprise_id,
        books.night_date,
        books.rooms_on_the_books,
        books.room_revenue_on_the_books,
        books.rooms_on_the_books - day_before.rooms_on_the_books as pickup_1d,
        books.rooms_on_the_books - week_before.rooms_on_the_books as pickup_7d
    from books
    left join books as day_before
        on books.enterprise_id = day_before.enterprise_id
        and books.night_date = day_before.night_date
        and books.day_number - 1 = day_before.day_number
    left join books as week_before
        on books.enterprise_id = week_before.enterprise_id
        and books.night_date = week_before.night_date
        and books.day_number - 7 = week_before.day_number

)

select * from pace
