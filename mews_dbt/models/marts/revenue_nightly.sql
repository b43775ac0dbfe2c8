with enterprises as (

    select * from {{ ref('stg_mews__enterprises') }}

),

-- Room revenue: SpaceOrder items that are not canceled, on the local date they are consumed.
room_revenue as (

    select
        items.enterprise_id,
        {{ mews_local_date('items.consumed_utc', 'enterprises.time_zone_identifier') }}
            as night_date,
        items.currency,
        sum(items.amount_net) as room_revenue_net,
        sum(items.amount_gross) as room_revenue_gross
    from {{ ref('stg_mews__order_items') }} as items
    inner join enterprises
        on items.enterprise_id = enterprises.enterprise_id
    where items.order_item_type = 'SpaceOrder'
        and items.accounting_state <> 'Canceled'
    group by 1, 2, 3

),

revenue_nights as (

    select distinct enterprise_id, night_date from room_revenue

),

stays as (

    select
        reservations.enterprise_id,
        {{ mews_local_date('reservations.scheduled_start_utc', 'enterprises.time_zone_identifier') }}
            as arrival_date,
        {{ mews_local_date('reservations.scheduled_end_utc', 'enterprises.time_zone_identifier') }}
            as departure_date
    from {{ ref('stg_mews__reservations') }} as reservations
    inner join enterprises
        on reservations.enterprise_id = enterprises.enterprise_id
    where reservations.state in ('Confirmed', 'Started', 'Processed')

),

sold as (

    select nights.enterprise_id, nights.night_date, count(stays.arrival_date) as rooms_sold
    from revenue_nights as nights
    left join stays
        on nights.enterprise_id = stays.enterprise_id
        and stays.arrival_date <= nights.night_date
        and nights.night_date < stays.departure_date
    group by 1, 2

),

-- Each room once per hotel, even when it belongs to categories of two bookable services.
hotel_rooms as (

    select distinct categories.enterprise_id, resources.resource_id
    from {{ ref('stg_mews__resource_category_assignments') }} as assignments
    inner join {{ ref('stg_mews__resource_categories') }} as categories
        on assignments.resource_category_id = categories.resource_category_id
    inner join {{ ref('stg_mews__resources') }} as resources
        on assignments.resource_id = resources.resource_id
    where assignments.is_active and categories.is_active and resources.is_active

),

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
        count(distinct hotel_rooms.resource_id) as rooms_available
    from revenue_nights as nights
    left join hotel_rooms
        on nights.enterprise_id = hotel_rooms.enterprise_id
        and not exists (
            select 1
            from out_of_order
            where out_of_order.resource_id = hotel_rooms.resource_id
                and out_of_order.first_night <= nights.night_date
                and nights.night_date < out_of_order.end_date
        )
    group by 1, 2

),

revenue as (

    select
        room_revenue.enterprise_id,
        room_revenue.night_date,
        room_revenue.currency,
        room_revenue.room_revenue_net,
        room_revenue.room_revenue_gross,
        cast(sold.rooms_sold as {{ mews_type('bigint') }}) as rooms_sold,
        cast(available.rooms_available as {{ mews_type('bigint') }}) as rooms_available,
        room_revenue.room_revenue_net / nullif(sold.rooms_sold, 0) as adr,
        room_revenue.room_revenue_net / nullif(available.rooms_available, 0) as revpar
    from room_revenue
    inner join sold
        on room_revenue.enterprise_id = sold.enterprise_id
        and room_revenue.night_date = sold.night_date
    inner join available
        on room_revenue.enterprise_id = available.enterprise_id
        and room_revenue.night_date = available.night_date

)

select * from revenue
