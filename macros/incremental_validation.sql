{#
  The load-and-rerank shape of the incremental base models (base_shop__orders, base_web__events). The raw
  files are append-only; every raw row is keyed by raw_row_key (see raw_row_key) and validated once, and
  the table always equals a full refresh.
#}

{# The raw rows this run validates: all of them on a full refresh; incrementally, the rows not loaded
   before, and the rows quarantined as unknown_customer whose customer has since arrived in `customers`. #}
{% macro rows_to_validate(keyed, customers) -%}
    select {{ keyed }}.*
    from {{ keyed }}
    {%- if is_incremental() %}
        left join {{ this }} as loaded on {{ keyed }}.raw_row_key = loaded.raw_row_key
    where
        loaded.raw_row_key is null
        or (
            loaded.rejection_reason = 'unknown_customer'
            and loaded.customer_id in (select {{ customers }}.customer_id from {{ customers }})
        )
    {%- endif %}
{%- endmacro %}

{# The rows of `checked` (typed columns, then row_check: the first check failed, null when none) ranked
   within each `id_column` together with the loaded rows that share their id, with the check those
   passed or failed, so that a late row that ranks first turns a loaded one into the duplicate exactly
   as a full refresh would. record_rank 1 is the row kept; ties break on `order_by`, then the key. #}
{% macro rank_with_loaded_rows(checked, id_column, order_by, duplicate_reason) -%}
    {%- if is_incremental() %}
        {%- set loaded_columns = adapter.get_columns_in_relation(this) | map(attribute='name')
            | reject('equalto', 'rejection_reason') | list %}
    {%- endif %}
    select
        batch.*,
        row_number() over (
            partition by batch.{{ id_column }}
            order by batch.row_check asc nulls first, {{ order_by }}, batch.raw_row_key asc
        ) as record_rank
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
