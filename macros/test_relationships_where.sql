{#
  dbt's relationships test against part of the parent: fails on each value of the column (nulls pass)
  missing from `field` of the rows of `to` that meet `to_condition`.
#}
{% test relationships_where(model, column_name, to, field, to_condition) %}
with

child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
    where {{ to_condition }}
)

select child.from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
{% endtest %}
