{#
  The rows of a family's fit table (one set per registry version) that belong to the version this run
  scores with: what the published tables show.
#}
{% macro registered_version(fit_model, family) -%}
    select fit.*
    from {{ ref(fit_model) }} as fit
    inner join {{ ref('model_retrain_decisions') }} as decisions
        on
            decisions.model_family = '{{ family }}'
            and fit.model_version = decisions.model_version
{%- endmacro %}
