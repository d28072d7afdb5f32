"""Customer scoring: data generation, import and the models that dbt Python models call."""
