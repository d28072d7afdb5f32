{#
  A list as a relation: one row per value of `values`, in the column `name` (cast to `type` when given).
#}
{% macro select_values(name, values, type=none) -%}
    {%- for value in values %}
        select {% if type %}cast({{ value }} as {{ type }}){% else %}{{ value }}{% endif %} as {{ name }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
{%- endmacro %}
