"""Customer lifetime value: buy-till-you-die models, spend model, and the validation pipeline."""

from customer_scoring.clv._base import ConvergenceError
from customer_scoring.clv.bgnbd import BetaGeoModel
from customer_scoring.clv.gamma_gamma import GammaGammaModel, frequency_spend_correlation
from customer_scoring.clv.pareto_nbd import ParetoNBDModel

__all__ = ["BetaGeoModel", "ConvergenceError", "GammaGammaModel", "ParetoNBDModel", "frequency_spend_correlation"]
