-- Global importance of each feature in the primary churn model.
with

importance as (
    select * from {{ ref('fit_churn_feature_importance') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        cast(importance.feature_name as {{ dbt.type_string() }}) as feature_name,
        cast(importance.importance_rank as integer) as importance_rank,
        cast(importance.total_gain as {{ dbt.type_float() }}) as total_gain,
        cast(importance.importance_share as {{ dbt.type_float() }}) as importance_share,
        cast(importance.mean_abs_shap as {{ dbt.type_float() }}) as mean_abs_shap,
        as_of.as_of_date
    from importance
    cross join as_of
)

select * from final
