{#
  The model has as many rows as compare_model (as dbt_utils.equal_rowcount): returns one row with
  both counts when they differ. With allow_empty, an empty model passes too: the scores of a model
  that was skipped (see model_status and assert_scores_exist_only_for_fitted_models).
#}
{% test equal_rowcount(model, compare_model, allow_empty=false) %}
with

counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ compare_model }}) as compare_model_rows
)

select *
from counts
where model_rows != compare_model_rows
{%- if allow_empty %}
    and model_rows > 0
{%- endif %}
{% endtest %}
