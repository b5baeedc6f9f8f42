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
# # 04 · Effekter: hænger temaerne sammen med resultaterne?
#
# Får kommuner, der scorer højt på et tema, flere piloter i drift, skalerer de mere, henter de
# større gevinster eller har de mere digital selvbetjening året efter? Udfaldsfilerne
# (`implementering_<år>`) giver fire mål pr. kommune og år:
#
# | mål | betydning | model |
# |---|---|---|
# | `andel_i_drift` | piloter i drift / piloter igangsat | binomial (logit) på antallene |
# | `andel_skaleret` | skalerede piloter / piloter i drift | binomial (logit) på antallene |
# | `gevinst_kr_pr_indbygger` | realiseret gevinst i kr. pr. indbygger | lineær (OLS) |
# | `digital_selvbetjening_pct` | andel digital selvbetjening i procent | lineær (OLS) |
#
# Bølge W kobles til udfaldene i år W + 1 (`udfald_forskydning` i indstillingerne). For hver
# bølge og hvert mål estimeres én model med alle seks temaer på én gang, kontrolleret for
# kommunens størrelse (log indbyggertal), og en samlet model over bølgerne med bølgeeffekter.
#
# **Sådan læses tallene**
#
# - Et **estimat** er forskellen i udfaldet, når temaets score er én standardafvigelse højere
#   (inden for bølgen), mens de fem andre temaer og størrelsen holdes fast. For andelene er
#   estimatet i log-odds; `estimat_pp` omregner det til procentpoint.
# - **95 %-konfidensintervallet** (`ci_lav`–`ci_hoej`) rummer de værdier, data er forenelige
#   med. Krydser det 0, kan vi ikke sige, om sammenhængen er positiv eller negativ.
# - **`p_justeret`** er korrigeret for, at der testes mange sammenhænge på én gang
#   (Benjamini-Hochberg inden for hver bølge og inden for den samlede model, så en ny bølge
#   ikke ændrer de tidligere bølgers fund). Et *fund* kræver justeret p < 0,05.
# - Det er **sammenhænge** i observationsdata, ikke påviste årsager: kommuner, der vurderer sig
#   selv højt, kan adskille sig på meget andet end temaet.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None

# %%
from omstilling_analysis import effects, publish, settings  # noqa: E402
from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis.plots import effects as effect_plots  # noqa: E402
from omstilling_analysis.text import theme_names  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)
effekt = resultat.effects
if effekt is None:
    print(
        "Der er ingen effektanalyse: rådatamappen har ingen udfaldsfiler "
        "(implementering_<år>.xlsx eller .csv). Resten af notebooken springes over."
    )
temanavne = theme_names()

# %% [markdown]
# ## Fundene i almindeligt dansk
#
# Den samme tekst står på arket *Effekter* i Excel-opsummeringen. Den første sætning forklarer
# tallene; derefter kommer ét fund pr. sætning, sætninger om de mål, hvor der intet fund er, og
# en sætning om de data, der manglede.

# %%
if effekt is not None:
    nb.show(effekt.sentences)

# %% [markdown]
# ## Hvad modellerne bygger på
#
# Antal kommuner i hver model (`n`) og modellernes forklaringskraft: `r2` er andelen af
# variationen i udfaldet, modellen forklarer i de data, den er estimeret på, og `r2_cv` det
# samme *uden for* de data (krydsvalideret: modellen estimeres uden en del af kommunerne og
# forudsiger dem). Er `r2_cv` meget lavere end `r2`, passer modellen til tilfældigheder i data;
# er den tæt på 0 eller negativ, kan temaerne ikke forudsige udfaldet.

# %%
if effekt is not None:
    tabel = effekt.table
    tilpasning = tabel.drop_duplicates(["boelge", "udfald"])[
        ["boelge", "udfald", "n", "r2", "r2_cv", "model"]
    ]
    nb.show(tilpasning.assign(udfald=tilpasning["udfald"].map(effects.OUTCOME_LABELS)))

# %% [markdown]
# ## Sammenhængene mål for mål
#
# Én figur pr. udfald og ét panel pr. bølge (og *Samlet*). Hvert punkt er et temas estimat med
# 95 %-konfidensinterval; udfyldte punkter er fund (justeret p < 0,05), åbne punkter er ikke.
# Et tema, der er fund i alle bølger og i den samlede model, er den mest robuste sammenhæng. En
# enkelt bølge med et fund, som de andre ikke gentager, bør læses med forsigtighed.

# %%
if effekt is not None:
    figurer = resultat.summary_data().figures
    for udfald in effects.OUTCOMES:
        if f"koefficienter_{udfald}" in figurer:
            nb.show(figurer[f"koefficienter_{udfald}"]())

# %% [markdown]
# ### Fundene i bølgen og samlet
#
# Alle sammenhænge med justeret p < 0,05 i den valgte bølge og i den samlede model.
# For andelene står effekten i procentpoint i `estimat_pp` (med interval); for beløb og
# procenter i `estimat` i målets egen enhed.

# %%
if effekt is not None:
    i_boelgen_og_samlet = resultat.published.wave_effects(boelge)
    fund = i_boelgen_og_samlet[i_boelgen_og_samlet["p_justeret"] < publish.SIGNIFICANCE_LEVEL]
    nb.show(
        fund.assign(
            udfald=fund["udfald"].map(effects.OUTCOME_LABELS),
            tema=fund["tema"].map(temanavne),
        )[
            ["boelge", "udfald", "tema", "estimat", "ci_lav", "ci_hoej", "estimat_pp"]
            + ["ci_lav_pp", "ci_hoej_pp", "p_justeret", "n"]
        ],
        decimals=3,
    )

# %% [markdown]
# ## Hvordan ser sammenhængen ud?
#
# For de stærkeste fund i bølgen: modellens forudsigelse af udfaldet hen over temaets
# observerede scorer (de andre temaer og størrelsen holdt ved deres gennemsnit), med
# 95 %-bånd. De grå punkter er kommunerne. Et stejlt forløb med et smalt bånd er en tydelig
# sammenhæng; ligger punkterne langt fra linjen, forklarer temaet kun en lille del af
# forskellene mellem kommunerne.

# %%
if effekt is not None:
    i_boelgen = tabel[effects.wave_key(tabel) == str(boelge)]
    staerkeste = effects.strongest_links(i_boelgen, count=2)
    if staerkeste.empty:
        print(f"Ingen fund i bølge {boelge}: viser de stærkeste fund i hele kørslen i stedet.")
        staerkeste = effects.strongest_links(tabel, count=2)
    for link in staerkeste.itertuples(index=False):
        nb.show(
            effect_plots.plot_partial_dependence(
                effekt.linked, tabel, str(link.udfald), str(link.tema), boelge=link.boelge
            )
        )

# %% [markdown]
# ## Det, der ikke kom med
#
# Kommuner og udfald, der ikke indgår i en model, står i `effekter_mangler.csv` med årsagen:
# for få respondenter, et manglende tema, ingen række i udfaldsfilen, en manglende værdi, ingen
# piloter i drift (nævner 0) osv. `alle` betyder, at kommunen er ude af alle fire modeller.
# Mangler mange kommuner af samme grund, kan det skævvride resultaterne.

# %%
if effekt is not None:
    mangler = effekt.missing
    nb.show(
        mangler.assign(boelge=mangler["boelge"].astype(str))
        .pivot_table(index="aarsag", columns="boelge", values="kommunekode", aggfunc="count")
        .fillna(0)
        .astype(int)
    )

# %% [markdown]
# Næste skridt: `05_eksport_til_videncenter`, der skriver Excel-opsummeringen og et
# tilbagemeldingsark til én kommune.
