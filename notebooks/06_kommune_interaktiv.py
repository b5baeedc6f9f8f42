# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Én kommune, interaktivt
#
# Vælg en kommune og en bølge i menuerne: notebooken viser kommunens profil mod dens klynge,
# dens region og landet (med 95 %-konfidensintervaller), dens plads på Danmarkskortet og dens
# udvikling over bølgerne.
#
# Alt her kommer fra de **offentliggjorte** tabeller (`resultat.published`): en kommune med færre
# end tre besvarelser får ingen profil, og sammenligningstallene bygger kun på kommuner med
# offentliggjorte tal, præcis som i tilbagemeldingsarket (`omstilling rapport`).
#
# Menuerne virker, når notebooken kører i JupyterLab. Kørt uden for JupyterLab (fx med
# `jupyter nbconvert --execute`) vises kommunen og bølgen fra parametrene nedenfor.

# %% tags=["parameters"]
RAW = "../data/raw"
BOELGE = None
KOMMUNE = "751"
INDSTILLINGER = None

# %%
import ipywidgets as widgets  # noqa: E402
from IPython.display import Image, display  # noqa: E402

from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis import reference, settings  # noqa: E402
from omstilling_analysis.plots import scores as score_plots  # noqa: E402
from omstilling_analysis.report import feedback  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
resultat = nb.run_analysis(RAW, settings.load_settings(INDSTILLINGER))
data = resultat.summary_data()
boelge = nb.choose_wave(resultat, BOELGE)
kommuner = reference.municipalities().sort_values("kommune")
valg_af_kommune = widgets.Dropdown(
    options=[(f"{r.kommune} ({r.kommunekode})", int(r.kommunekode)) for r in kommuner.itertuples()],
    value=feedback.resolve(KOMMUNE),
    description="Kommune",
)
valg_af_boelge = widgets.Dropdown(options=data.waves, value=boelge, description="Bølge")


def vis_kommune(kommunekode: int, boelge: int) -> None:
    """Profil, kort og udvikling for én kommune i én bølge (kun offentliggjorte tal)."""
    navn = reference.municipality(kommunekode)["kommune"]
    grund = feedback.why_not_published(data, kommunekode, boelge)
    if grund is not None:
        print(f"{navn} har ingen offentliggjorte tal i bølge {boelge}: {grund}.")
        return
    profil = feedback.municipality_profile(data, kommunekode, boelge)
    nb.show(score_plots.plot_municipality_profile(profil, navn, boelge))
    nb.show(profil)
    display(Image(feedback.highlighted_map(data, kommunekode, boelge), width=700))
    udvikling = feedback.municipality_development(data, kommunekode)
    if len(udvikling) > 1:
        nb.show(score_plots.plot_municipality_development(udvikling, navn))
    nb.show(udvikling)


udsnit = widgets.interactive_output(
    vis_kommune, {"kommunekode": valg_af_kommune, "boelge": valg_af_boelge}
)
display(widgets.HBox([valg_af_kommune, valg_af_boelge]), udsnit)

# %% [markdown]
# ## Kommunen fra parametrene, uden menuer
#
# Det samme for `KOMMUNE` og `BOELGE`, som en fast visning (den kommer også med, når notebooken
# gemmes som HTML).

# %%
vis_kommune(feedback.resolve(KOMMUNE), boelge)

# %% [markdown]
# **Sådan læses det.** Søjlerne er kommunens temascorer med 95 %-konfidensinterval: et bredt
# interval betyder, at få har svaret. Punkterne er klyngens, regionens og landets gennemsnit.
# Ligger landets punkt inden for kommunens interval, kan kommunen ikke skelnes sikkert fra
# landet på det tema. På kortet er kommunen fremhævet med en tyk kant; farven er dens
# modenhedsniveau.
