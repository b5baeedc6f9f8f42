"""The regression models: per wave HC3, pooled over waves cluster-robust (see the package doc)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from omstilling_analysis import reference
from omstilling_analysis.effects.measures import BINOMIAL, z_column
from omstilling_analysis.publish import POOLED, SIGNIFICANCE_LEVEL

__all__ = [
    "ALPHA", "NOT_FITTED", "POOLED", "ModelFit", "NotEstimable", "cross_validated_r2",
    "fit_model", "hc3_covariance", "theme_rows", "usable",
]  # fmt: skip

#: The pooled model's name and the significance level have one home, the publish stage.
ALPHA = SIGNIFICANCE_LEVEL
#: ``model`` of a wave × outcome with too few data for its terms (see :class:`NotEstimable`).
NOT_FITTED = "ikke estimeret: for få observationer"


def hc3_covariance(
    X: np.ndarray, residuals: np.ndarray, weights: np.ndarray | None = None, kind: str = "HC3"
) -> np.ndarray:
    """Heteroskedasticity-consistent sandwich covariance of a (canonical-link) GLM or OLS fit.

    .. math:: \\hat V = B\\,\\Big[\\sum_i x_i x_i^\\top \\frac{u_i^2}{(1-h_{ii})^2}\\Big]\\,B,
              \\quad B = (X^\\top W X)^{-1},\\quad h_{ii} = w_i\\, x_i^\\top B x_i

    Parameters
    ----------
    X:
        Design matrix (n × k).
    residuals:
        Score residuals :math:`u_i = y_i - \\hat\\mu_i` on the scale of the response the
        likelihood is written in (for a binomial: successes − trials · p̂).
    weights:
        IRLS weights :math:`w_i = \\operatorname{Var}(y_i)` of a canonical-link GLM (for a
        binomial: trials · p̂(1 − p̂)); ``None`` → 1 (OLS).
    kind:
        ``"HC3"`` (MacKinnon & White 1985) or ``"HC0"`` (White 1980; no leverage correction).

    With ``weights=None`` this is exactly statsmodels' ``OLS(...).fit(cov_type="HC3")``;
    for a binomial GLM it is the form of R's ``sandwich::vcovHC(type = "HC3")`` for a ``glm``.
    """
    X = np.asarray(X, dtype=float)
    u = np.asarray(residuals, dtype=float)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=float)
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    if kind == "HC3":
        leverage = w * np.einsum("ij,jk,ik->i", X, bread, X)
        u = u / (1.0 - leverage)
    elif kind != "HC0":
        raise ValueError(f"ukendt kind: {kind}")
    scores = X * u[:, None]
    return bread @ (scores.T @ scores) @ bread


@dataclass
class ModelFit:
    """One fitted model: the data it saw, its coefficients, their robust covariance and the
    degrees of freedom of its t tests."""

    design: pd.DataFrame
    y: np.ndarray  # outcome, or [successes, failures] for a binomial model
    groups: np.ndarray  # municipality codes
    params: pd.Series
    cov: pd.DataFrame
    df: float
    model: str
    binomial: bool
    r2: float

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted outcome (a share for a binomial model) at design rows ``X``."""
        return _predict(X, self.params.to_numpy(), self.binomial)

    @property
    def ame_factor(self) -> float:
        """Mean p̂(1 − p̂) over the sample: log-odds × this = average marginal effect."""
        p = self.predict(self.design.to_numpy(float))
        return float(np.mean(p * (1 - p)))


def _design(data: pd.DataFrame, pooled: bool, control_region: bool) -> pd.DataFrame:
    """Constant, the six z-scores, log population, then region and wave dummies."""
    parts = [
        pd.DataFrame({"const": 1.0}, index=data.index),
        data[[z_column(t) for t in reference.theme_codes()]].astype(float),
        data[["log_indbyggere"]].astype(float),
    ]
    if control_region:
        parts.append(pd.get_dummies(data["region"], prefix="region", drop_first=True, dtype=float))
    if pooled:
        waves = data["boelge"].astype(str)
        parts.append(pd.get_dummies(waves, prefix="boelge", drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def _response(data: pd.DataFrame, udfald: str) -> np.ndarray:
    if udfald in BINOMIAL:
        successes, trials = BINOMIAL[udfald]
        y = data[successes].to_numpy(float)
        return np.column_stack([y, data[trials].to_numpy(float) - y])
    return data[udfald].to_numpy(float)


def _predict(X: np.ndarray, params: np.ndarray, binomial: bool) -> np.ndarray:
    eta = X @ params
    return expit(eta) if binomial else eta


def _model_label(udfald: str, pooled: bool, control_region: bool) -> str:
    kind = "binomial GLM (logit; estimat i log-odds)" if udfald in BINOMIAL else "OLS"
    controls = "kontrol: log(indbyggere)" + (", region" if control_region else "")
    if pooled:
        return f"{kind}, bølgeeffekter, {controls}, klyngerobuste SE (kommune)"
    return f"{kind}, {controls}, HC3"


def _binomial_deviance(y: np.ndarray, p: np.ndarray) -> float:
    """Binomial deviance of counts ``y = [successes, failures]`` at probabilities ``p``."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    trials = y.sum(axis=1)
    expected = np.column_stack([trials * p, trials * (1 - p)])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / expected), 0.0)
    return float(2 * terms.sum())


def _loss(y: np.ndarray, prediction: np.ndarray, binomial: bool) -> float:
    """Binomial deviance, or the sum of squared errors."""
    if binomial:
        return _binomial_deviance(y, prediction)
    return float(np.sum((y - prediction) ** 2))


def _null_loss(y: np.ndarray, binomial: bool) -> float:
    """Loss of the overall mean (the pooled share for a binomial outcome)."""
    mean = y[:, 0].sum() / y.sum() if binomial else y.mean()
    return _loss(y, np.full(len(y), mean), binomial)


class NotEstimable(ValueError):
    """A model the data cannot carry; the message is what ``model`` says in the table."""


def _fit_glm(y: np.ndarray, X: np.ndarray, quiet: bool = False, **kwargs):
    """Binomial GLM (logit). Separation or no convergence raises :class:`NotEstimable`, unless
    ``quiet`` (a training fold of the cross-validation, where only the prediction matters)."""
    # statsmodels (about 0.6 s to import) only in a run with outcome files.
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    model = sm.GLM(y, X, family=sm.families.Binomial())
    with warnings.catch_warnings():
        if quiet:  # e.g. a region absent from a training fold leaves its dummy at zero
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("error", ConvergenceWarning)
        try:
            return model.fit(**kwargs)
        except (PerfectSeparationWarning, ConvergenceWarning):
            raise NotEstimable(
                "ikke estimeret: perfekt separation eller ingen konvergens (binomial GLM)"
            ) from None


def fit_model(data: pd.DataFrame, udfald: str, pooled: bool, control_region: bool) -> ModelFit:
    """Fit one model (see the module doc); :class:`NotEstimable` when the data cannot carry
    it."""
    import statsmodels.api as sm

    design = _design(data, pooled, control_region)
    # A dummy without variance (a region absent from the sample) cannot be estimated.
    design = design.loc[:, (design.nunique() > 1) | (design.columns == "const")]
    y = _response(data, udfald)
    X = design.to_numpy(float)
    n, k = X.shape
    groups = data["kommunekode"].to_numpy()
    n_groups = len(np.unique(groups))
    if n <= k + 1 or np.linalg.matrix_rank(X) < k or (pooled and n_groups < 3):
        raise NotEstimable(NOT_FITTED)
    binomial = udfald in BINOMIAL
    if pooled:
        cluster = {"cov_type": "cluster", "cov_kwds": {"groups": groups}, "use_t": True}
        result = _fit_glm(y, X, **cluster) if binomial else sm.OLS(y, X).fit(**cluster)
        params, cov = np.asarray(result.params), np.asarray(result.cov_params())
        df = float(n_groups - 1)
    elif binomial:
        params = np.asarray(_fit_glm(y, X).params)
        p, trials = _predict(X, params, True), y.sum(axis=1)
        cov = hc3_covariance(X, y[:, 0] - trials * p, trials * p * (1 - p))
        df = float(n - k)
    else:
        result = sm.OLS(y, X).fit(cov_type="HC3")
        params, cov = np.asarray(result.params), np.asarray(result.cov_params())
        df = float(n - k)
    if not np.isfinite(cov).all() or (np.diag(cov) <= 0).any():
        raise NotEstimable("ikke estimeret: ustabil kovariansmatrix")
    null = _null_loss(y, binomial)
    fitted = _predict(X, params, binomial)
    names = list(design.columns)
    return ModelFit(
        design=design,
        y=y,
        groups=groups,
        params=pd.Series(params, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=df,
        model=_model_label(udfald, pooled, control_region),
        binomial=binomial,
        r2=float(1 - _loss(y, fitted, binomial) / null) if null > 0 else float("nan"),
    )


def cross_validated_r2(fit: ModelFit, seed: int, splits: int = 5, repeats: int = 5) -> float:
    """Repeated K-fold R² of a fitted model with pooled out-of-fold predictions.

    The folds split municipalities (all waves of a municipality fall in the same fold). In
    each repeat every row gets its prediction from the model fitted without its fold; then

    .. math:: R^2_{cv} = 1 - \\frac{1}{R} \\sum_{r=1}^{R} \\frac{L(y, \\hat y^{(r)})}{L(y, \\bar y)}

    with L the squared error (OLS) or the binomial deviance (GLM) and ȳ the overall mean.
    """
    X, y, groups = fit.design.to_numpy(float), fit.y, fit.groups
    codes = np.unique(groups)
    splits = min(splits, len(codes))
    null = _null_loss(y, fit.binomial)
    if splits < 2 or null <= 0:
        return float("nan")
    losses = []
    prediction = np.empty(len(y))
    from sklearn.model_selection import RepeatedKFold

    folds = RepeatedKFold(n_splits=splits, n_repeats=repeats, random_state=seed)
    for index, (_, test_codes) in enumerate(folds.split(codes)):
        test = np.isin(groups, codes[test_codes])
        if fit.binomial:
            params = np.asarray(_fit_glm(y[~test], X[~test], quiet=True).params)
        else:
            params = np.linalg.lstsq(X[~test], y[~test], rcond=None)[0]
        prediction[test] = _predict(X[test], params, fit.binomial)
        if (index + 1) % splits == 0:  # a repeat is complete: every row has its prediction
            losses.append(_loss(y, prediction, fit.binomial))
    return float(1 - np.mean(losses) / null)


def theme_rows(fit: ModelFit, r2_cv: float) -> list[dict]:
    """Estimate, 95 % interval and p-value of each theme's z-score in ``fit``."""
    from scipy import stats

    quantile = stats.t.ppf(1 - ALPHA / 2, fit.df)
    scale = 100 * fit.ame_factor if fit.binomial else float("nan")
    rows = []
    for theme in reference.theme_codes():
        estimate = float(fit.params[z_column(theme)])
        se = float(np.sqrt(fit.cov.loc[z_column(theme), z_column(theme)]))
        low, high = estimate - quantile * se, estimate + quantile * se
        rows.append(
            {
                "tema": theme,
                "estimat": estimate,
                "ci_lav": low,
                "ci_hoej": high,
                "p": float(2 * stats.t.sf(abs(estimate) / se, fit.df)) if se > 0 else np.nan,
                "model": fit.model,
                "r2": fit.r2,
                "r2_cv": r2_cv,
                "estimat_pp": estimate * scale,
                "ci_lav_pp": low * scale,
                "ci_hoej_pp": high * scale,
            }
        )
    return rows


def usable(linked: pd.DataFrame, udfald: str) -> pd.DataFrame:
    return linked[linked[udfald].notna()]
