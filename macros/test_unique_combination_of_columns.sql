{#
  Fails on every combination of the given columns that occurs more than once. With `written_at` (a column that
  stamps each row when a run writes it) and a build warehouse that was published before, only the combinations
  of the rows written since the last publication are checked, against the whole table: every row the published
  build held had passed this test, so a repeat needs one row written since (an incremental table's daily run
  then reads its key column once instead of grouping all of it).
#}
{% test unique_combination_of_columns(model, combination_of_columns, written_at=none) %}
{%- set published = last_publication() if written_at else none %}
{#- model may be a subquery with its alias (a test's `where` config): each reference wraps it (a CTE read twice
    would be materialized) #}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from (select * from {{ model }}) as checked
{%- if published is not none %}
where exists (
    select 1
    from (select * from {{ model }}) as written
    where
        written.{{ written_at }} >= (select published_at from {{ published }})
        {%- for column in combination_of_columns %}
        and written.{{ column }} is not distinct from checked.{{ column }}
        {%- endfor %}
)
{%- endif %}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
