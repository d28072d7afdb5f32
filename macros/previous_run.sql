{#
  The table `model_name` as the previous run left it: the state a feedback loop reads (the model registry,
  monitoring) before this run builds its own. Not a ref, on purpose: the table is built later in this run,
  from what the reader decides. Before a first run, an empty stand-in with `columns` ({name: type}), the
  columns the reader uses.
#}
{% macro previous_run(model_name, columns) %}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
            | selectattr('name', 'equalto', model_name) | first -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- endif -%}
    {%- if relation is not none -%}
        {{ relation }}
    {%- else -%}
        (select
        {%- for name, type in columns.items() %} cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %} where 1 = 0)
    {%- endif -%}
{% endmacro %}
