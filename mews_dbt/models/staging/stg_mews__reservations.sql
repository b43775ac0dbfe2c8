{%- set loaded = mews_loaded_columns(source('mews', 'reservations')) -%}

with source as (

    select * from {{ source('mews', 'reservations') }}

),

renamed as (

    select
        id as reservation_id,
        enterprise_id,
        service_id,
        group_id as reservation_group_id,
        number as reservation_number,
        account_id,
        account_type,
        creator_profile_id,
        updater_profile_id,
        {{ mews_optional_column('booker_id', loaded) }} as booker_id,
        state,
        origin,
        {{ mews_optional_column('commander_origin', loaded) }} as commander_origin,
        {{ mews_optional_column('origin_details', loaded) }} as origin_details,
        {{ mews_optional_column('purpose', loaded) }} as purpose,
        {{ mews_optional_column('cancellation_reason', loaded) }} as cancellation_reason,
        rate_id,
        requested_resource_category_id,
        {{ mews_optional_column('assigned_resource_id', loaded) }} as assigned_resource_id,
        cast(assigned_resource_locked as {{ mews_type('boolean') }}) as is_assigned_resource_locked,
        {{ mews_optional_column('availability_block_id', loaded) }} as availability_block_id,
        {{ mews_optional_column('business_segment_id', loaded) }} as business_segment_id,
        {{ mews_optional_column('voucher_id', loaded) }} as voucher_id,
        {{ mews_optional_column('credit_card_id', loaded) }} as credit_card_id,
        {{ mews_optional_column('partner_company_id', loaded) }} as partner_company_id,
        {{ mews_optional_column('travel_agency_id', loaded) }} as travel_agency_id,
        {{ mews_optional_column('channel_number', loaded) }} as channel_number,
        {{ mews_optional_column('channel_manager_number', loaded) }} as channel_manager_number,
        cast(options__owner_checked_in as {{ mews_type('boolean') }}) as is_owner_checked_in,
        cast(options__all_companions_checked_in as {{ mews_type('boolean') }}) as are_all_companions_checked_in,
        cast(options__any_companion_checked_in as {{ mews_type('boolean') }}) as is_any_companion_checked_in,
        cast(options__connector_check_in as {{ mews_type('boolean') }}) as is_connector_check_in,
        -- StartUtc and EndUtc are deprecated by Mews in favour of the scheduled/actual pairs.
        {{ mews_utc('scheduled_start_utc') }} as scheduled_start_utc,
        {{ mews_utc('scheduled_end_utc') }} as scheduled_end_utc,
        {{ mews_utc(mews_optional_column('actual_start_utc', loaded)) }} as actual_start_utc,
        {{ mews_utc(mews_optional_column('actual_end_utc', loaded)) }} as actual_end_utc,
        {{ mews_utc(mews_optional_column('released_utc', loaded)) }} as released_utc,
        {{ mews_utc(mews_optional_column('cancelled_utc', loaded)) }} as cancelled_utc,
        {{ mews_utc('created_utc') }} as created_utc,
        {{ mews_utc('updated_utc') }} as updated_utc

    from source

)

select * from renamed
