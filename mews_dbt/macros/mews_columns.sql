{#- Helpers for staging models over tables produced by dlt. -#}

{% macro mews_loaded_columns(relation) %}
    {#- Lower-case column names of a loaded table. dlt creates no column for a field that was
        null in every row loaded so far, so staging must not assume optional fields exist. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list) }}
{% endmacro %}


{% macro mews_optional_column(column_name, loaded_columns, data_type='text') -%}
    {#- The column if dlt created it, else a typed null. -#}
    {%- if column_name in loaded_columns -%}
        cast({{ column_name }} as {{ mews_type(data_type) }})
    {%- else -%}
        cast(null as {{ mews_type(data_type) }})
    {%- endif -%}
{%- endmacro %}


{% macro mews_utc(expression) -%}
    {#- A UTC timestamp without time zone, so later casts to date ignore the session time zone.
        Also accepts ISO 8601 text, in case a loader left timestamps as strings. -#}
    {{ return(adapter.dispatch('mews_utc', 'mews_dbt')(expression)) }}
{%- endmacro %}

{% macro default__mews_utc(expression) -%}
    cast(cast({{ expression }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro bigquery__mews_utc(expression) -%}
    datetime(cast({{ expression }} as timestamp), 'UTC')
{%- endmacro %}

{% macro snowflake__mews_utc(expression) -%}
    cast(convert_timezone('UTC', cast({{ expression }} as timestamp_tz)) as timestamp_ntz)
{%- endmacro %}


{% macro mews_utc_now() -%}
    {#- The current time as a UTC timestamp without time zone, like the columns of mews_utc. -#}
    {{ return(adapter.dispatch('mews_utc_now', 'mews_dbt')()) }}
{%- endmacro %}

{% macro default__mews_utc_now() -%}
    cast(current_timestamp at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro bigquery__mews_utc_now() -%}
    current_datetime('UTC')
{%- endmacro %}

{% macro snowflake__mews_utc_now() -%}
    cast(convert_timezone('UTC', current_timestamp()) as timestamp_ntz)
{%- endmacro %}


{% macro mews_local_date(utc_timestamp, time_zone) -%}
    {#- The date in time_zone (an IANA name such as an enterprise's TimeZoneIdentifier) of a UTC
        timestamp without time zone, daylight saving included, whatever the session time zone. -#}
    {{ return(adapter.dispatch('mews_local_date', 'mews_dbt')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__mews_local_date(utc_timestamp, time_zone) -%}
    {#- DuckDB and PostgreSQL: the first `at time zone` reads the value as UTC, the second gives
        the wall clock in time_zone. -#}
    cast(({{ utc_timestamp }} at time zone 'UTC') at time zone {{ time_zone }} as date)
{%- endmacro %}

{% macro bigquery__mews_local_date(utc_timestamp, time_zone) -%}
    date(timestamp({{ utc_timestamp }}, 'UTC'), {{ time_zone }})
{%- endmacro %}

{% macro snowflake__mews_local_date(utc_timestamp, time_zone) -%}
    cast(convert_timezone('UTC', {{ time_zone }}, {{ utc_timestamp }}) as date)
{%- endmacro %}


{% macro mews_type(name) -%}
    {#- The SQL type for text, double, boolean, bigint or integer in the target's dialect. -#}
    {{ return(adapter.dispatch('mews_type', 'mews_dbt')(name)) }}
{%- endmacro %}

{% macro default__mews_type(name) -%}
    {{ {'double': 'double precision'}.get(name, name) }}
{%- endmacro %}

{% macro bigquery__mews_type(name) -%}
    {{ {'text': 'string', 'double': 'float64', 'boolean': 'bool', 'bigint': 'int64',
        'integer': 'int64'}.get(name, name) }}
{%- endmacro %}
