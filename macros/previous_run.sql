{#
  The table `model_name` as the previous run left it: the state a feedback loop reads (the model registry,
  monitoring) before this run builds its own. Not a ref, on purpose: the table is built later in this run,
  from what the reader decides. Before a first run, or when the table (built by an older version) lacks one of
  `columns` ({name: type}, the columns the reader uses), an empty stand-in with them.
#}
{% macro previous_run(model_name, columns) %}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | selectattr('name', 'equalto', model_name) | first -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}
            {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- if columns | reject('in', present) | list -%}
                {%- set relation = none -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if relation is not none -%}
        {{ relation }}
    {%- else -%}
        (select
        {%- for name, type in columns.items() %} cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %} where 1 = 0)
    {%- endif -%}
{% endmacro %}
