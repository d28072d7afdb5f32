{#
  The incremental load of a raw source in two steps, the same for orders and web events. The base model
  (staging) types each raw row and checks what the source alone can tell, once, appending the rows not
  loaded before; the int_<entity>_validated model (intermediate) checks the rows that passed against the
  CRM and rejects repeats of an id, validating new rows and those waiting for their customer, ranked with
  the loaded rows that share their id. The raw files are append-only, every raw row is keyed by
  raw_row_key (see raw_row_key), and both tables always equal a full refresh.
#}

{# The rows of `rows` this run validates: all of them on a full refresh; incrementally, the rows not loaded
   before and, given `customers`, the rows quarantined as unknown_customer whose customer has since arrived. #}
{% macro rows_to_validate(rows, customers=none) -%}
    select {{ rows }}.*
    from {{ rows }}
    {%- if is_incremental() %}
        left join {{ this }} as loaded on {{ rows }}.raw_row_key = loaded.raw_row_key
    where
        loaded.raw_row_key is null
        {%- if customers %}
            or (
                loaded.rejection_reason = 'unknown_customer'
                and loaded.customer_id in (select {{ customers }}.customer_id from {{ customers }})
            )
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{# The rows of `checked` (the table's columns, then row_check: the first check failed, null when none)
   with their rejection_reason: row_check, else `duplicate_reason` when a row that passed ranks after
   another within its `id_column`. Incrementally the loaded rows that share an id are ranked again with the
   new ones, with the check they passed or failed, so that a late row that ranks first turns a loaded one
   into the duplicate exactly as a full refresh would. Ties break on `order_by`, then the key. #}
{% macro reject_duplicates(checked, id_column, order_by, duplicate_reason) -%}
    {%- if is_incremental() %}
        {%- set loaded_columns = adapter.get_columns_in_relation(this) | map(attribute='name')
            | reject('equalto', 'rejection_reason') | list %}
    {%- endif %}
    select
        batch.*,
        coalesce(
            batch.row_check,
            case
                when row_number() over (
                    partition by batch.{{ id_column }}
                    order by batch.row_check asc nulls first, {{ order_by }}, batch.raw_row_key asc
                ) > 1 then '{{ duplicate_reason }}'
            end
        ) as rejection_reason
    from (
        select * from {{ checked }}
        {%- if is_incremental() %}
            union all
            select
                {%- for column in loaded_columns %}
                    loaded.{{ column }},
                {%- endfor %}
                nullif(loaded.rejection_reason, '{{ duplicate_reason }}') as row_check
            from {{ this }} as loaded
            where
                loaded.{{ id_column }} in (select {{ checked }}.{{ id_column }} from {{ checked }})
                and loaded.raw_row_key not in (select {{ checked }}.raw_row_key from {{ checked }})
        {%- endif %}
    ) as batch
{%- endmacro %}
