-- Rows whose pickup is not the change since the books of the day (or week) before, or is null
-- although that earlier snapshot date exists, or set although it does not.
with pace as (

    select * from {{ ref('pace_nightly') }}

),

compared as (

    select
        pace.*,
        day_before.rooms_on_the_books as rooms_day_before,
        week_before.rooms_on_the_books as rooms_week_before
    from pace
    left join pace as day_before
        on pace.enterprise_id = day_before.enterprise_id
        and pace.night_date = day_before.night_date
        and cast({{ dbt.dateadd('day', -1, 'pace.snapshot_date') }} as date)
            = day_before.snapshot_date
    left join pace as week_before
        on pace.enterprise_id = week_before.enterprise_id
        and pace.night_date = week_before.night_date
        and cast({{ dbt.dateadd('day', -7, 'pace.snapshot_date') }} as date)
            = week_before.snapshot_date

)

select *
from compared
where coalesce(pickup_1d, -999999) <> coalesce(rooms_on_the_books - rooms_day_before, -999999)
    or coalesce(pickup_7d, -999999) <> coalesce(rooms_on_the_books - rooms_week_before, -999999)
