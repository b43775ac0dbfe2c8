with source as (

    select * from {{ source('mews', 'order_items') }}

),

renamed as (

    select
        id as order_item_id,
        enterprise_id,
        service_id,
        service_order_id,
        type as order_item_type,
        accounting_state,
        amount__currency as currency,
        cast(amount__net_value as {{ mews_type('double') }}) as amount_net,
        cast(amount__gross_value as {{ mews_type('double') }}) as amount_gross,
        {{ mews_utc('consumed_utc') }} as consumed_utc,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
