{#- Every version of each reservation that a run of dbt has seen, for pace_nightly. The timestamp
    strategy takes UpdatedUtc as dbt_valid_from, so a version counts from when Mews changed the
    reservation, not from when dbt happened to run; run it after every load (`make dbt`), or the
    versions between two runs are lost. -#}
{% snapshot reservations_snapshot %}

{{ config(
    unique_key='reservation_id',
    strategy='timestamp',
    updated_at='updated_utc',
) }}

select
    reservation_id,
    enterprise_id,
    state,
    scheduled_start_utc,
    scheduled_end_utc,
    created_utc,
    cancelled_utc,
    updated_utc
from {{ ref('stg_mews__reservations') }}

{% endsnapshot %}
