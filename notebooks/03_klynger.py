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
# # 03 · Klynger: typer af kommuner
#
# Kommuner med samme modenhedsindeks kan være modne på vidt forskellige måder: én er stærk på
# strategi, en anden på det digitale fundament. Klyngeanalysen finder typer af kommuner ud fra
# *profilen* på de seks temaer:
#
# 1. I hver bølge standardiseres kommunernes seks temascorer (afstand fra bølgens gennemsnit i
#    standardafvigelser), så det er profilen og ikke niveauet, der grupperer.
# 2. Tre metoder sammenlignes for k = 2 … 8 klynger: k-means, Wards hierarkiske metode og en
#    Gaussisk blandingsmodel. Antallet af klynger vælges ud fra data med tre kriterier:
#    silhuetbredde, gap-statistikken og BIC. Begrundelsen for valget står i tabellen nedenfor.
# 3. Stabiliteten måles ved bootstrap: kommunerne (og respondenterne i dem) trækkes om, og for
#    hver klynge måles, hvor godt den genfindes (Jaccard). Under 0,6 er klyngen ikke til at stole
#    på. Hver kommunes **sikkerhed** er andelen af gentagelser, hvor den lander i sin egen type.
# 4. Klyngerne nummereres, så samme type har samme nummer i alle bølger, og de får et dansk
#    navn ud fra profilen.
#
# Kun kommuner med mindst tre respondenter og alle seks temascorer indgår; de øvrige står i
# tabellen med årsagen.
#
# **Parametre:** `K` fastlægger antallet af klynger og `METODE` metoden (`"kmeans"`, `"ward"`
# eller `"gmm"`); `None` lader data vælge. Det svarer til `klynge_k` og `klynge_metode` i
# indstillingerne.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None
K = None
METODE = None

# %%
import pandas as pd  # noqa: E402

from omstilling_analysis import clusters, reference, settings  # noqa: E402
from omstilling_analysis import notebooks as nb  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER, n_clusters=K, cluster_method=METODE)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)
# Klyngeresultatet (valget af k) og de offentliggjorte profiler og medlemskaber (små tal skjult):
klynger = resultat.clusters
offentligt = resultat.published
figurer = resultat.summary_data().figures
kommunenavne = reference.municipalities().set_index("kommunekode")["kommune"]

# %% [markdown]
# ## Valget af metode og antal klynger
#
# Én række pr. bølge: den valgte metode og k, hvad hvert kriterium alene ville vælge
# (`k_silhuet`, `k_gap`, `k_bic`), og hvor enige metoderne er (justeret Rand-indeks, `ari_*`: 1 er
# helt samme inddeling, 0 som tilfældigt). `ari_bootstrap` er, hvor godt hele inddelingen
# genfindes i bootstrap-gentagelserne.

# %%
valg = klynger.chosen.assign(metode=klynger.chosen["metode"].map(clusters.METHOD_NAMES))
nb.show(valg.drop(columns="begrundelse"))
nb.show([f"**{r.boelge}:** {r.begrundelse}" for r in klynger.chosen.itertuples()])
uden_typer = [int(r.boelge) for r in klynger.chosen.itertuples() if r.ingen_typer]
if boelge in uden_typer:
    print(
        f"Bølge {boelge}: ingen tydelige typer. Kommunernes profiler ligger på én sammenhængende "
        "fordeling uden adskilte grupper, så alle kommuner er i én gruppe. Profilerne nedenfor er "
        "landets gennemsnit, ikke typer; at dele kommunerne i vilkårlige skiver ville vise "
        "forskelle, som data ikke bærer. Vil I alligevel se en opdeling, kan I sætte K (klynge_k)."
    )

# %% [markdown]
# Kurverne bag valget i bølgen. **Silhuetbredden** (højere er bedre) måler, hvor tydeligt
# kommunerne hører til deres egen klynge frem for den nærmeste anden. **Gap-statistikken**
# sammenligner klyngernes tæthed med data uden struktur; det mindste k, hvis gap er inden for
# én standardfejl af det næste, vælges. **BIC** (lavere er bedre) vejer blandingsmodellens
# tilpasning mod dens antal parametre. Den stiplede linje er det valgte k.

# %%
nb.show(figurer[f"klynger_valg_af_k_{boelge}"]())

# %% [markdown]
# ## Klyngernes profiler
#
# Hver række i varmekortet er en klynge (nummer, navn og antal kommuner); farven er klyngens
# gennemsnitlige afstand fra bølgens gennemsnit på temaet i standardafvigelser (blå: stærkere,
# orange: svagere; samme farver som i regnearkene og på kortene), og tallet i feltet er gennemsnittet på skalaen 1-5. En klynge markeret
# *(ustabil)* genfindes dårligt i bootstrap og bør ikke bruges som selvstændig type.

# %%
nb.show(figurer[f"klynger_profil_{boelge}"]())

# %%
profiler = offentligt.wave_profiles(boelge)
nb.show(
    profiler[
        ["klynge", "klyngenavn", "antal_kommuner", *reference.theme_codes(), "modenhedsindeks"]
        + ["jaccard", "andel_oploest", "stabil"]
    ]
)

# %% [markdown]
# ## Kommunerne på et kort
#
# Kommunerne tegnet på de to første hovedkomponenter af de standardiserede temascorer (de to
# retninger, hvor kommunerne adskiller sig mest; aksernes tekst siger, hvor stor en del af
# forskellene de fanger). Farven er klyngen. Klynger, der ligger adskilt, er tydelige typer;
# kommuner midt imellem er grænsetilfælde. Kortet er en forenkling: klyngerne er fundet i alle
# seks dimensioner, så to klynger kan overlappe her uden at gøre det i virkeligheden.

# %%
nb.show(figurer[f"klynger_pca_{boelge}"]())

# %% [markdown]
# ## Hvilke kommuner er i hvilken klynge?
#
# `sikkerhed` er andelen af bootstrap-gentagelser, hvor kommunen lander i sin egen type: tæt på
# 1 er den et sikkert medlem, omkring 0,5 eller derunder ligger den på grænsen til en anden type.

# %%
medlemmer = offentligt.wave_clusters(boelge).copy()
medlemmer["kommune"] = medlemmer["kommunekode"].map(kommunenavne)
klyngede = medlemmer.dropna(subset=["klynge"])
nb.show(
    klyngede.groupby(["klynge", "klyngenavn"])
    .agg(
        antal=("kommune", "size"),
        sikkerhed_median=("sikkerhed", "median"),
        kommuner=("kommune", lambda k: ", ".join(sorted(k))),
    )
    .reset_index()
)

# %%
graense = klyngede[klyngede["sikkerhed"] < 0.5].sort_values("sikkerhed")
if len(graense):
    print(f"{len(graense)} kommuner ligger på grænsen (sikkerhed under 0,5):")
    nb.show(graense[["kommune", "klynge", "klyngenavn", "sikkerhed"]])
else:
    print(f"Ingen kommuner ligger på grænsen (alle har sikkerhed på mindst 0,5) i bølge {boelge}.")

# %%
uden = medlemmer[medlemmer["klynge"].isna()]
print(f"{len(uden)} kommuner med besvarelser i bølge {boelge} er ikke klynget.")
if len(uden):
    nb.show(uden[["kommune", "aarsag"]])

# %% [markdown]
# ## Skifter kommunerne type mellem bølgerne?
#
# Rækkerne er klyngen i den forrige bølge, kolonnerne klyngen i den valgte bølge (kun kommuner,
# der er klynget i begge). Tal på diagonalen er kommuner, der har beholdt deres type; tal uden
# for den er kommuner, der har flyttet sig. Typenumrene er afstemt på tværs af bølgerne, men en
# ny type kan dukke op med et nyt nummer.

# %%
boelger = offentligt.waves
tidligere = [b for b in boelger if b < boelge]
if tidligere:
    forrige = offentligt.wave_clusters(tidligere[-1])
    par = medlemmer.merge(forrige, on="kommunekode", suffixes=("", "_forrige"))
    par = par.dropna(subset=["klynge", "klynge_forrige"])
    nb.show(
        pd.crosstab(
            par["klynge_forrige"].astype(int).rename(f"klynge {tidligere[-1]}"),
            par["klynge"].astype(int).rename(f"klynge {boelge}"),
        )
    )
else:
    print(f"Bølge {boelge} er den første bølge: ingen tidligere klynger at sammenligne med.")

# %% [markdown]
# Næste skridt: `04_effekter`, der ser på, om temaerne hænger sammen med kommunernes
# implementeringsresultater.
