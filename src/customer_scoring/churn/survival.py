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
    (`at_most`); `fitter_params` go to lifelines' WeibullAFTFitter (the `churn_model_params` var). A fit
    keeps the scaling, the coefficients of log lambda and rho, which is all it predicts from: it writes
    itself as JSON (`to_artifact`) and a model read back predicts bit for bit as the one written."""

    def __init__(self, features: list[str], fitter_params: dict, max_rows: int):
        self.features = features
        self.fitter_params = fitter_params
        self.max_rows = max_rows

    def fit(self, rows: pd.DataFrame) -> SurvivalModel:
        rows = at_most(rows, self.max_rows)
        scaler = StandardScaler().fit(np.log1p(rows[self.features].clip(lower=0)))
        self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        data = pd.DataFrame(self._standardized(rows), columns=self.features)
        data["duration"] = rows["days_to_churn"].to_numpy() + 1.0  # Weibull needs positive durations
        data["observed"] = rows["churn_observed"].to_numpy()
        params = WeibullAFTFitter(**self.fitter_params).fit(data, "duration", "observed").params_
        self.coefficients_ = params["lambda_"][self.features].to_numpy()
        self.intercept_ = float(params["lambda_"]["Intercept"])
        self.rho_ = float(np.exp(params["rho_"]["Intercept"]))
        return self

    def _standardized(self, rows: pd.DataFrame) -> np.ndarray:
        return (np.log1p(rows[self.features].clip(lower=0).to_numpy(dtype=float)) - self.mean_) / self.scale_

    def _log_lambda(self, rows: pd.DataFrame) -> np.ndarray:
        # Feature by feature, in one order: a matrix product's rounding depends on where a row falls in the batch
        # (BLAS blocks), and a customer must score the same alone (live) as among everyone (batch).
        log_lambda = np.full(len(rows), self.intercept_)
        for column, coefficient in zip(self._standardized(rows).T, self.coefficients_, strict=True):
            log_lambda += column * coefficient
        return log_lambda

    def days_until(self, rows: pd.DataFrame, survival: float) -> np.ndarray:
        """Days until the probability of not having churned falls to `survival`, lambda (-ln survival)^(1 / rho) - 1
        (0 when it already has)."""
        days = np.exp(self._log_lambda(rows)) * (-np.log(survival)) ** (1.0 / self.rho_)
        return np.clip(days - 1.0, 0, None)

    def median_days(self, rows: pd.DataFrame) -> np.ndarray:
        """Median days to churn (`days_until` survival 0.5): the mean of a Weibull with shape < 1 is ruled by its
        far tail."""
        return self.days_until(rows, 0.5)

    def survival(self, rows: pd.DataFrame, days: list[int]) -> np.ndarray:
        """P(not churned after each of `days`), exp(-((d + 1) / lambda)^rho), one column per day."""
        times = np.log(np.array(days, dtype=float) + 1.0)
        return np.exp(-np.exp(self.rho_ * (times[None, :] - self._log_lambda(rows)[:, None])))

    def to_artifact(self) -> dict:
        """The fit as JSON-ready values (floats round-trip through JSON)."""
        arrays = {name: getattr(self, name).tolist() for name in ("mean_", "scale_", "coefficients_")}
        return {"features": self.features, **arrays, "intercept_": self.intercept_, "rho_": self.rho_}

    @classmethod
    def from_artifact(cls, artifact: dict) -> SurvivalModel:
        """The fit `to_artifact` wrote, ready to predict (not to refit: it keeps no fitter settings)."""
        model = cls(artifact["features"], {}, 0)
        for name in ("mean_", "scale_", "coefficients_"):
            setattr(model, name, np.array(artifact[name], dtype=float))
        model.intercept_, model.rho_ = float(artifact["intercept_"]), float(artifact["rho_"])
        return model
