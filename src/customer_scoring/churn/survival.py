"""Time to churn: a Weibull accelerated failure time model (lifelines' `WeibullAFTFitter`).

Days from a cutoff until the churn day T (plus one, as a Weibull needs positive durations) follow
S(t | x) = exp(-(t / lambda(x))^rho), with log lambda(x) linear in the log-scaled, standardized features
and rho constant. Customers not yet churned are censored at their latest activity, so the likelihood is
prod f(t_i | x_i)^d_i S(t_i | x_i)^(1 - d_i), maximized with an L2 penalty. Kalbfleisch & Prentice (2002),
"The Statistical Analysis of Failure Time Data", 2nd ed., Wiley, ch. 2; Davidson-Pilon (2019), "lifelines:
survival analysis in Python", Journal of Open Source Software 4(40).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import WeibullAFTFitter
from sklearn.preprocessing import StandardScaler

from customer_scoring.churn.features import at_most

SURVIVAL = "weibull_aft"


class SurvivalModel:
    """Weibull AFT on the log-scaled, standardized numeric `features`: days from a cutoff until churn, with
    customers not yet churned censored at their latest activity. Fits on at most `max_rows` rows
    (`at_most`); `fitter_params` go to lifelines' WeibullAFTFitter (the `churn_model_params` var)."""

    def __init__(self, features: list[str], fitter_params: dict, max_rows: int):
        self.features = features
        self.fitter_params = fitter_params
        self.max_rows = max_rows

    def fit(self, rows: pd.DataFrame) -> SurvivalModel:
        rows = at_most(rows, self.max_rows)
        X = np.log1p(rows[self.features].clip(lower=0))
        self.scaler_ = StandardScaler().fit(X)
        data = pd.DataFrame(self.scaler_.transform(X), columns=self.features)
        data["duration"] = rows["days_to_churn"].to_numpy() + 1.0  # Weibull needs positive durations
        data["observed"] = rows["churn_observed"].to_numpy()
        self.fitter_ = WeibullAFTFitter(**self.fitter_params).fit(data, "duration", "observed")
        return self

    def _design(self, rows: pd.DataFrame) -> pd.DataFrame:
        X = np.log1p(rows[self.features].clip(lower=0))
        return pd.DataFrame(self.scaler_.transform(X), columns=self.features)

    def median_days(self, rows: pd.DataFrame) -> np.ndarray:
        """Median days to churn: the mean of a Weibull with shape < 1 is ruled by its far tail."""
        return np.clip(self.fitter_.predict_median(self._design(rows)).to_numpy() - 1.0, 0, None)

    def survival(self, rows: pd.DataFrame, days: list[int]) -> np.ndarray:
        """P(not churned after each of `days`), one column per day."""
        times = [d + 1.0 for d in days]
        return self.fitter_.predict_survival_function(self._design(rows), times=times).to_numpy().T
