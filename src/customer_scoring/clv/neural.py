"""The neural CLV model: a multilayer perceptron (scikit-learn's MLPRegressor, ReLU hidden layers) that learns
next-horizon spend from the per-customer features XGBoost reads (and, as mlp_sequence, the monthly spend
sequence beside them), log-scaled (they are counts, days and money
with heavy right tails) and standardized, against spend divided by its mean (squared error on a target of
order 1). Its fit is kept as plain arrays (`params_`), and it predicts with its own forward pass: the
registry stores JSON, never a pickle."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neural_network import MLPRegressor


class NeuralSpendModel:
    """Fit with `fit(features, spend, settings)` (`settings`: MLPRegressor's keyword arguments); `params_` holds
    the feature scaling, the spend scale and each layer's weights and biases."""

    def fit(self, features: pd.DataFrame, spend, settings: dict, seed: int = 0) -> NeuralSpendModel:
        x = self._logged(features)
        mean, std = x.mean(axis=0), x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        scale = float(np.mean(spend))
        network = MLPRegressor(random_state=seed, **settings).fit((x - mean) / std, np.asarray(spend) / scale)
        self.params_ = {
            "mean": mean.tolist(),
            "std": std.tolist(),
            "scale": scale,
            "weights": [layer.tolist() for layer in network.coefs_],
            "biases": [layer.tolist() for layer in network.intercepts_],
        }
        return self

    @staticmethod
    def _logged(features: pd.DataFrame) -> np.ndarray:
        # A customer without repeat purchases has no mean repeat spend: 0 here (XGBoost reads the null).
        return np.log1p(features.fillna(0).to_numpy(dtype=float))

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Expected next-horizon spend (never below 0)."""
        params = self.params_
        layer = (self._logged(features) - np.asarray(params["mean"])) / np.asarray(params["std"])
        last = len(params["weights"]) - 1
        for depth, (weights, biases) in enumerate(zip(params["weights"], params["biases"], strict=True)):
            layer = layer @ np.asarray(weights) + np.asarray(biases)
            if depth < last:
                layer = np.maximum(layer, 0.0)
        return np.maximum(layer[:, 0], 0.0) * params["scale"]
