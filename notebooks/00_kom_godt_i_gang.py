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
# # 00 · Kom godt i gang med analyseværktøjet
#
# Værktøjet `omstilling_analysis` er KL's værkbænk til selvevalueringen af digital omstilling i
# de 98 kommuner. Det tager eksporterne fra SurveyXact og kommunernes egne skemaer, som de kommer,
# og fører dem hele vejen til opsummeringen for KL's videncenter:
#
# | trin | hvad sker der | notebook |
# |---|---|---|
# | indlæsning og rensning | eksporterne læses (xlsx, CSV i tre dialekter, kommunernes egne ark), svarkoder oversættes via deres labels, spørgsmål genkendes på kode eller tekst, kommunenavne slås op, og hver rå række ender enten talt eller udeladt med én årsag | `01_indlaesning_og_rensning` |
# | temascorer og reliabilitet | hver respondents og kommunes score på de seks temaer, modenhedsindeks og -niveau, benchmarks, rang med usikkerhed, udvikling, Cronbachs α og McDonalds ω | `02_temascorer_og_reliabilitet` |
# | klynger | typer af kommuner ud fra profilen på de seks temaer, med valg af antal klynger og deres stabilitet | `03_klynger` |
# | effekter | hænger temaerne sammen med implementeringsresultaterne året efter? | `04_effekter` |
# | eksport | Excel-opsummeringen til videncentret og tilbagemeldingsark til den enkelte kommune | `05_eksport_til_videncenter` |
#
# Notebooks'ene er *tynde*: al beregning sker i pakken, så tallene her er de samme som dem,
# `omstilling run` skriver. Notebooks'ene fortæller historien, viser tabeller og figurer og
# forklarer, hvordan de skal læses.

# %% [markdown]
# ## Parametre
#
# Den første kodecelle i hver notebook er mærket `parameters`. Her vælger du data og bølge.
# Når du kører notebooks'ene med papermill (eller `make notebooks`), bliver værdierne erstattet,
# fx for at køre en anden bølge eller et andet datasæt:
#
# ```sh
# .venv/bin/papermill notebooks/02_temascorer_og_reliabilitet.ipynb ud.ipynb -p BOELGE 2022
# ```
#
# - `RAW`: mappen med rådata (eksporterne, som de kommer).
# - `OUT`: mappen, hvor resultater skrives. Kun `05` skriver noget (Excel-filerne).
# - `BOELGE`: den bølge, der vises i detaljer; `None` betyder den seneste.
# - `INDSTILLINGER`: en TOML-fil med indstillinger som `omstilling run --indstillinger`
#   (temavægte, niveaugrænser, antal klynger, …); `None` betyder kontraktens standarder.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None

# %%
from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis import reference, settings, validate  # noqa: E402

# %% [markdown]
# ## Hvor ligger data?
#
# - `data/raw/`: eksporterne, præcis som de kommer fra SurveyXact eller kommunerne
#   (`selvevaluering_<år>.xlsx`, en CSV-eksport som mappen `selvevaluering_<år>/`,
#   `skema_<år>_<kommune>.xlsx|.csv` og udfaldsfilerne `implementering_<år>.xlsx|.csv`).
#   Året i navnet fortæller bølgen. Mappen er udelukket fra git, fordi eksporterne rummer
#   personoplysninger.
# - `data/processed/`: resultaterne af `omstilling run` (tabeller, `opsummering_<bølge>.xlsx`,
#   `figurer/`, `manifest.json`). Heller ikke i git.
# - `data/processed/notebooks/`: de kørte kopier af disse notebooks og deres HTML-udgaver
#   (`make notebooks`).
#
# Er rådatamappen tom, laver cellen nedenfor syntetiske demodata med en kendt, plantet sandhed
# (`omstilling demodata` i `data/raw/demo`), så alt kan prøves af uden rigtige data. Ligger der eksporter, røres
# de ikke.

# %%
RAW = nb.ensure_raw_data(RAW)

# %% [markdown]
# ## Hvad ligger der i rådatamappen?
#
# `omstilling validate` fortæller for hver fil, hvad den er (form A: SurveyXact-xlsx, B:
# SurveyXact-CSV, C: kommunens eget skema, eller en udfaldsfil), hvilken bølge og dialekt den
# har, hvor mange rækker der tælles, hvor mange spørgsmål og kommuner der genkendes, og om
# noget er galt. Navne, e-mails og fritekst (`email`, `name`, `kommenta`) læses aldrig ind;
# linjen *personoplysninger/fritekst ikke indlæst* nævner kun kolonnernes navne.

# %%
linjer, kan_bruges = validate.describe_paths([RAW])
print("\n".join(linjer))
print()
print(
    "Alle filer kan bruges." if kan_bruges else "OBS: mindst én fil kan ikke bruges (se ovenfor)."
)

# %% [markdown]
# ## Instrumentet: de seks temaer
#
# Hvert spørgsmål hører til ét tema og besvares på skalaen *Helt uenig* (1) til *Helt enig*
# (5). *Ved ikke* er ikke et punkt på skalaen: svaret tælles som manglende. Spørgsmål, der er
# formuleret modsat (`omvendt`), scores som 6 − svaret.

# %%
nb.show(reference.themes())

# %%
kodebog = reference.codebook()
nb.show(
    kodebog.groupby("tema", sort=False)
    .agg(spoergsmaal=("item", "size"), heraf_omvendte=("omvendt", "sum"))
    .rename(columns={"spoergsmaal": "spørgsmål", "heraf_omvendte": "heraf omvendte"})
)

# %% [markdown]
# ## Reglerne, der gælder
#
# Indstillingerne nedenfor er kontraktens standarder, medmindre du har angivet en
# `INDSTILLINGER`-fil. De samme indstillinger skrives i `manifest.json` ved hver kørsel, så
# et resultat altid kan genskabes.
#
# - En respondent tælles kun, hvis vedkommende har svaret 1-5 på mindst halvdelen af bølgens
#   spørgsmål (rundet op); ellers udelades rækken som *for ufuldstændig*.
# - Modenhedsindekset er gennemsnittet af de seks temascorer; niveauerne går fra 1 Begynder til
#   5 Førende.
# - Intet offentliggjort tal (Excel-opsummeringen, en figur) hviler på færre end tre
#   respondenter: sådan en celle vises som skjult med årsagen.

# %%
indstillinger = settings.load_settings(INDSTILLINGER)
nb.show(nb.settings_table(indstillinger))

# %% [markdown]
# ## Sådan kører du værktøjet
#
# I projektmappen (alt installeres fra låsefilen første gang):
#
# ```sh
# make run        # demodata hvis data/raw er tom, derefter hele analysen til data/processed
# make test       # hele testsuiten
# make lab        # registrerer kernen "Python (omstilling)" og åbner JupyterLab
# make notebooks  # kører alle notebooks til data/processed/notebooks (kopier og HTML)
# ```
#
# Og med kommandoen `omstilling` (i `.venv/bin/`):
#
# ```sh
# omstilling validate data/raw                     # hvad er hver fil, og kan den bruges?
# omstilling run --raw data/raw --out data/processed [--indstillinger indstillinger.toml]
# omstilling rapport --kommune 751 --boelge 2024   # tilbagemeldingsark til én kommune
# omstilling demodata --out data/raw/demo         # syntetiske demodata
# ```
#
# Næste skridt: `01_indlaesning_og_rensning`, der viser, hvad der skete med hver eneste rå række.
