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
# # 05 · Eksport til videncentret
#
# Det sidste trin samler analysen i de filer, der sendes videre:
#
# - **`opsummering_<bølge>.xlsx`** til KL's videncenter: nøgletal, alle 98 kommuner, temaerne,
#   klyngerne, effekterne, datakvaliteten og metoden, med diagrammer;
# - **`rapport_<kode>_<bølge>.xlsx`**: et tilbagemeldingsark til én kommune (det samme, som
#   kommandoen `omstilling rapport` laver).
#
# Notebooken skriver de to filer for den valgte bølge til mappen `OUT` og viser, hvad der står i
# dem. Filerne er de samme, som `omstilling run` og `omstilling rapport` skriver med de samme data
# og indstillinger; en fil af samme navn i `OUT` bliver overskrevet.
#
# Reglerne gælder også her: intet tal hviler på færre end tre respondenter (cellen viser
# *færre end 3 besvarelser*), ingen navne, e-mails eller fritekst er nogensinde læst ind, og tekst
# fra rådata, som et regneark kunne køre som en formel, skrives som ren tekst.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None
KOMMUNE = "751"

# %%
from pathlib import Path  # noqa: E402

from omstilling_analysis import feedback, report, settings  # noqa: E402
from omstilling_analysis import notebooks as nb  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)
OUT = Path(OUT).resolve()
data = report.SummaryData(resultat.tables, resultat.manifest, indstillinger, resultat.extras)

# %% [markdown]
# ## Excel-opsummeringen
#
# `report.write_summary` skriver arbejdsbogen for bølgen. Den har syv ark:
#
# | ark | indhold |
# |---|---|
# | *Overblik* | nøgletal og fordelingen på modenhedsniveauer, med diagram |
# | *Kommuner* | alle 98 kommuner: temascorer, indeks, niveau, klynge, rang med interval og ændring |
# | *Temaer* | landsplan, regioner og roller pr. tema, reliabilitet og spørgsmål |
# | *Klynger* | klyngernes profiler med diagram og valget af antal klynger |
# | *Effekter* | sammenhængene med udfaldene i almindeligt dansk og som tabel |
# | *Datakvalitet* | rækker ind, talt, udeladt efter årsag, celleproblemer |
# | *Metode* | regler, indstillinger, versioner og inputfilernes kontrolsummer |

# %%
opsummering = report.write_summary(OUT / f"opsummering_{boelge}.xlsx", data, boelge)
print(f"Skrev {opsummering}")
nb.show(nb.workbook_overview(opsummering))

# %% [markdown]
# ### Arket *Overblik*
#
# Sådan som cellerne står i arket (rækkenumrene er Excels). Diagrammerne er Excel-diagrammer og
# vises ikke her; de samme figurer ses nedenfor.

# %%
nb.show(nb.read_sheet(opsummering, "Overblik", rows=30))

# %% [markdown]
# ### Arket *Kommuner*
#
# De første rækker. En kommune med færre end tre respondenter viser *færre end 3 besvarelser* i
# stedet for tal; en kommune uden besvarelser viser *ingen besvarelser*.

# %%
nb.show(nb.read_sheet(opsummering, "Kommuner", rows=15))

# %% [markdown]
# ### Arket *Datakvalitet*
#
# Regnskabet for rækkerne: hvor mange der kom ind, blev talt og blev udeladt af hvilken grund.
# Videncentret kan her se, om en kilde har haft problemer.

# %%
nb.show(nb.read_sheet(opsummering, "Datakvalitet", rows=30))

# %% [markdown]
# ### Figurerne
#
# Opsummeringens figurer for bølgen, som `omstilling run` også gemmer som PNG i
# `figurer/`. De er tegnet af offentliggjorte værdier alene: en kommune eller et tema med færre
# end tre respondenter er ikke med.

# %%
figurer = data.summary_figures()
nb.show(figurer[f"modenhedsniveauer_{boelge}"]())
if f"klyngeprofiler_{boelge}" in figurer:
    nb.show(figurer[f"klyngeprofiler_{boelge}"]())

# %% [markdown]
# ## Tilbagemelding til én kommune: `omstilling rapport`
#
# Kommandoen
#
# ```sh
# omstilling rapport --kommune 751 --boelge 2024 --resultater data/processed
# ```
#
# laver et tilbagemeldingsark til én kommune ud fra resultaterne af `omstilling run`. Her laves
# det samme ark direkte fra kørslen ovenfor for kommunen i parameteren `KOMMUNE` (kode eller
# navn). Arket har fem faner:
#
# | ark | indhold |
# |---|---|
# | *Profil* | kommunens temascorer og indeks mod dens klynge, region og landet, med diagrammer |
# | *Udvikling* | kommunens scorer i alle bølger |
# | *Potentiale* | de temaer, hvor kommunen har mest at hente, og om temaet hænger sammen med bedre resultater |
# | *Spørgsmål* | kommunens gennemsnitlige svar pr. spørgsmål mod landets |
# | *Om tallene* | hvordan tallene skal læses |

# %%
kode = feedback.resolve(KOMMUNE)
rapport = feedback.municipality_workbook(
    resultat.tables,
    kode,
    boelge,
    OUT / f"rapport_{kode}_{boelge}.xlsx",
    settings=indstillinger,
    manifest=resultat.manifest,
)
print(f"Skrev {rapport}")
nb.show(nb.workbook_overview(rapport))

# %% [markdown]
# ### Arket *Profil*
#
# Kommunens egne tal står ved siden af sammenligningerne. Læs forskellen til klyngen og landet
# sammen med antallet af respondenter: med få respondenter er en kommunes score usikker.

# %%
nb.show(nb.read_sheet(rapport, "Profil", rows=25))

# %% [markdown]
# ### Arket *Potentiale*

# %%
nb.show(nb.read_sheet(rapport, "Potentiale", rows=20))

# %% [markdown]
# ## Før filerne sendes
#
# - Kontrollér på arket *Datakvalitet*, at ingen kilde har mistet uventet mange rækker.
# - Kontrollér på arket *Metode*, at indstillingerne er dem, I har aftalt, og at alle
#   inputfiler er med.
# - Send kun filerne fra `OUT`; rådata og `besvarelser.parquet` bliver hos KL.
