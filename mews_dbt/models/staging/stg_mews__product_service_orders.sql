{%- set loaded = mews_loaded_columns(source('mews', 'product_service_orders')) -%}

with source as (

    select * from {{ source('mews', 'product_service_orders') }}

),

renamed as (

    select
        id as product_service_order_id,
        enterprise_id,
        service_id,
        {{ mews_optional_column('linked_reservation_id', loaded) }} as linked_reservation_id,
        number as product_service_order_number,
        account_id,
        account_type,
        creator_profile_id,
        updater_profile_id,
        {{ mews_optional_column('booker_id', loaded) }} as booker_id,
        state,
        origin,
        {{ mews_optional_column('commander_origin', loaded) }} as commander_origin,
        {{ mews_optional_column('origin_details', loaded) }} as origin_details,
        {{ mews_optional_column('business_segment_id', loaded) }} as business_segment_id,
        {{ mews_optional_column('voucher_id', loaded) }} as voucher_id,
        cast(options__owner_checked_in as {{ mews_type('boolean') }}) as is_owner_checked_in,
        cast(options__all_companions_checked_in as {{ mews_type('boolean') }}) as are_all_companions_checked_in,
        cast(options__any_companion_checked_in as {{ mews_type('boolean') }}) as is_any_companion_checked_in,
        cast(options__connector_check_in as {{ mews_type('boolean') }}) as is_connector_check_in,
        {{ mews_utc(mews_optional_column('cancelled_utc', loaded)) }} as cancelled_utc,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
