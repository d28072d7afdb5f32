{# Deletes the rows of the incremental model being built whose `keys` (column names) match a row of `stale` (a
   query of those columns, each combination once): a MERGE, since Delta Lake (Spark) rejects a subquery in a
   DELETE's condition. #}
{% macro delete_rows(stale, keys) -%}
    merge into {{ this }} as stored
    using ({{ stale }}) as stale
        on
            {%- for key in keys %}
                stored.{{ key }} = stale.{{ key }}{{ ' and' if not loop.last }}
            {%- endfor %}
    when matched then delete
{%- endmacro %}
