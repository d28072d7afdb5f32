{#
  The model has as many rows as compare_model (as dbt_utils.equal_rowcount): returns one row with
  both counts when they differ.
#}
{% test equal_rowcount(model, compare_model) %}
with

counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ compare_model }}) as compare_model_rows
)

select *
from counts
where model_rows != compare_model_rows
{% endtest %}
