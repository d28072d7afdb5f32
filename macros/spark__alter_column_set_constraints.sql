{#
  Column constraints of an enforced contract on Spark. dbt-spark adds them to the table after it is created
  (`alter table ... change column ... set not null`), which open-source Delta refuses for a column that exists.
  Checked here instead, failing the model as DuckDB's `not null` and `primary key` do when a row breaks them.
#}
{% macro spark__alter_column_set_constraints(relation, column_dict) %}
    {%- for column_name, column in column_dict.items() %}
        {%- set quoted_name = adapter.quote(column_name) if column['quote'] else column_name %}
        {%- for constraint in column['constraints'] if constraint.type in ['not_null', 'primary_key'] %}
            {%- set violations %}
                select count(*) from {{ relation }} where {{ quoted_name }} is null
                {%- if constraint.type == 'primary_key' %}
                    or {{ quoted_name }} in (
                        select {{ quoted_name }} from {{ relation }} group by {{ quoted_name }} having count(*) > 1
                    )
                {%- endif %}
            {%- endset %}
            {%- set violating_rows = run_query(violations).columns[0].values()[0] %}
            {%- if violating_rows > 0 %}
                {{ exceptions.raise_compiler_error(
                    relation ~ "." ~ column_name ~ " breaks its " ~ constraint.type ~ " constraint in "
                    ~ violating_rows ~ " rows") }}
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{% endmacro %}
