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
# Det sidste trin samler analysen i de filer, der sendes videre. Alt, hvad der må forlade KL,
# ligger i **`OUT/til_videncenter/`** og intet andet:
#
# - **`opsummering_<bølge>.xlsx`** til KL's videncenter: nøgletal, alle 98 kommuner, temaerne,
#   klyngerne, effekterne, datakvaliteten og metoden, med diagrammer;
# - **`figurer/`**: figurerne som PNG;
# - de offentliggjorte tabeller som CSV (semikolon og decimalkomma, så en dansk Excel åbner dem).
#
# Resten af `OUT` er analytikerens interne tabeller (pseudonymiserede data på respondentniveau,
# fx `besvarelser.parquet`); de bliver hos KL. Notebooken skriver hele `OUT` præcis som
# `omstilling kør` gør (den gamle kørsel erstattes samlet), og laver derefter et
# tilbagemeldingsark til én kommune (`rapport_<kode>_<bølge>.xlsx`, som `omstilling rapport`)
# i mappen `TILBAGEMELDINGER`.
#
# Reglerne gælder også her: intet tal hviler på færre end tre respondenter (cellen viser
# *færre end 3 besvarelser*), ingen navne, e-mails eller fritekst er nogensinde læst ind, og tekst
# fra rådata, som et regneark kunne køre som en formel, skrives som ren tekst.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
TILBAGEMELDINGER = "../data/tilbagemeldinger"
BOELGE = None
INDSTILLINGER = None
KOMMUNE = "751"

# %%
from pathlib import Path  # noqa: E402

from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis import pipeline, settings  # noqa: E402
from omstilling_analysis.report import feedback  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)
OUT = Path(OUT).resolve()
data = resultat.summary_data()

# %% [markdown]
# ## Excel-opsummeringen
#
# `pipeline.write_outputs` skriver hele kørslen til `OUT`, med `til_videncenter/`. Arbejdsbogen
# for bølgen har syv ark:
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
pipeline.write_outputs(resultat, OUT)
videncenter = OUT / "til_videncenter"
print(f"Send mappen {videncenter.name}/ (i {OUT.name}/). Den indeholder:")
nb.show(
    sorted(p.relative_to(videncenter).as_posix() for p in videncenter.rglob("*") if p.is_file())
)
opsummering = videncenter / f"opsummering_{boelge}.xlsx"
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
# Opsummeringens figurer for bølgen, som også ligger som PNG i `til_videncenter/figurer/`. De er tegnet af offentliggjorte værdier alene: en kommune eller et tema med færre
# end tre respondenter er ikke med.

# %%
figurer = data.figures
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
# omstilling rapport --alle --boelge 2024 --resultater data/processed --out data/tilbagemeldinger
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
grund = feedback.why_not_published(data, kode, boelge)
if grund is not None:
    print(
        f"Kommune {kode} får intet tilbagemeldingsark for {boelge}: {grund}. Vælg en anden KOMMUNE."
    )
    kode = int(data.published.shown(boelge)["kommunekode"].iloc[0])
rapport = feedback.feedback_workbook(
    data, kode, boelge, Path(TILBAGEMELDINGER) / f"rapport_{kode}_{boelge}.xlsx"
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
# - Send kun mappen `OUT/til_videncenter/`; rådata og resten af `OUT` (fx
#   `besvarelser.parquet`) bliver hos KL.
