{#
  The raw text `raw` of a typed column, kept only where the typed value `typed_text` (as text) does not read
  back as it: blank, padded, unparseable, missing, or written another way. Elsewhere null, as the typed column
  says it all (quarantined_rows shows coalesce(raw, typed text)): the base tables write no second copy of every id
  and time (56 M events at 1M customers: base_web__events 182 s -> 157 s, alone).
#}
{% macro raw_text_unless_typed(raw, typed_text) -%}
    case when {{ raw }} = {{ typed_text }} then null else {{ raw }} end
{%- endmacro %}
