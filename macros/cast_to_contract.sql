{#
  The select list that publishes `relation` (a CTE or alias) in the calling model's contract: every
  contract column, in contract order, cast to its declared data_type. The contract in the model's YAML
  is the one list of the published columns and their types.
#}
{% macro cast_to_contract(relation) -%}
    {%- for column in model.columns.values() %}
        cast({{ relation }}.{{ column.name }} as {{ column.data_type }}) as {{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
