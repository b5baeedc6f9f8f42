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
# # 01 · Indlæsning og rensning
#
# Her følger vi eksporterne fra rådatamappen til tabellen over talte besvarelser. Hver rå
# række ender ét sted: enten *talt*, eller *udeladt* med præcis én årsag, afgjort i denne
# rækkefølge:
#
# 1. `ikke besvaret`: ingen svar 1-5 overhovedet;
# 2. `for ufuldstændig`: svar 1-5 på færre end halvdelen af bølgens spørgsmål (rundet op);
# 3. `dublet`: samme respondent-id igen i bølgen; den seneste besvarelse (`closetim`) tæller;
# 4. `ukendt kommune`: kommunenavnet er ikke en af de 98 kommuner, eller det kan være flere.
#
# Et problem i én celle (en kode uden label, en ukendt svartekst) gør kun den celle manglende og
# noteres i datakvalitetstabellen; rækken tæller stadig. Intet forsvinder i stilhed.
#
# Notebooken beregner alt i hukommelsen med `pipeline.run(RAW, None, …)`: den skriver intet.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None

# %%
import pandas as pd  # noqa: E402

from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis import reference, settings  # noqa: E402
from omstilling_analysis.plots import data_quality  # noqa: E402

# %% [markdown]
# ## Kørslen
#
# Er rådatamappen tom, laves demodata først (se `00_kom_godt_i_gang`). Linjerne nedenfor er
# pipelinens egne fremdriftsmeldinger: hver kilde med bølge, rækker og genkendte spørgsmål.

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)

# %% [markdown]
# ## Kilderne
#
# Én række pr. eksport. `form` er A (SurveyXact-xlsx), B (SurveyXact-CSV-mappe) eller C
# (kommunens eget skema); `dialekt` er, hvad værktøjet læste ud af filens bytes. De fire
# årsagskolonner tæller de udeladte rækker. `spørgsmål genkendt` skal svare til bølgens antal
# spørgsmål i kodebogen; er det lavere, mangler nogle spørgsmål i eksporten eller kunne ikke
# genkendes på deres tekst (se `omstilling validate`). Dubletter afgøres på tværs af alle filer
# i en bølge, så en dublet kan tælles i én fil og udelades i en anden.

# %%
kilder = nb.source_overview(resultat)
nb.show(kilder)

# %% [markdown]
# ## Hvor endte rækkerne?
#
# Hver søjle er én kilde, delt op efter rækkernes skæbne (andele af filens rækker; `n` er
# antallet af rækker). Langt de fleste rækker bør være grønne (talt). En stor andel
# `ukendt kommune` peger på en kommunekolonne, der skal rettes i kilden; mange `dublet` på
# eksporter, der er lagt sammen to gange.

# %%
nb.show(data_quality.plot_row_fates(kilder))

# %% [markdown]
# Regnskabet skal gå op: rækker ind = talte + udeladte. Manifestet (`manifest.json` ved en
# kørsel med `omstilling run`) gemmer det samme regnskab.

# %%
raekker = resultat.manifest["raekker"]
nb.show(
    [
        f"rækker læst: {raekker['ind']}",
        f"besvarelser talt: {raekker['talt']}",
        f"rækker udeladt: {raekker['udeladt']}",
        "alle rækker er gjort rede for"
        if raekker["alle_raekker_gjort_rede_for"]
        else "**OBS: regnskabet går ikke op**",
    ]
)

# %% [markdown]
# ### Udeladte rækker efter bølge og årsag
#
# Tabellen `udeladte.csv` har én række pr. udeladt rå række med kilde og rækkenummer (som man
# ser det i filen: overskriften er række 1), så hver udeladelse kan slås op i eksporten.

# %%
udeladte = resultat["udeladte.csv"]
nb.show(pd.crosstab(udeladte["boelge"], udeladte["aarsag"], margins=True, margins_name="i alt"))

# %%
nb.show(udeladte[udeladte["boelge"] == boelge].head(10))

# %% [markdown]
# ## Datakvalitet: problemer i enkelte celler
#
# En celle med en kode, som `Labels` ikke kender, eller en svartekst, der ikke er på skalaen,
# bliver manglende og står i `datakvalitet.csv` med kilde, række, variabel, værdi og problem.
# Værdier, der kunne være fritekst (lange tekster, e-mails, telefonnumre), vises aldrig: de står
# som `(tekst udeladt)`. Mange problemer af samme slags i samme variabel tyder på en systematisk
# fejl i eksporten (fx en svarkode, der er kommet til uden label).

# %%
kvalitet = resultat["datakvalitet.csv"]
nb.show(pd.crosstab(kvalitet["kilde"], kvalitet["problem"], margins=True, margins_name="i alt"))

# %%
nb.show(kvalitet.head(10))

# %% [markdown]
# ## De talte besvarelser
#
# `besvarelser.parquet` har én række pr. talt besvarelse: bølge, kommunekode, rolle, kilde,
# rækkenummer og svaret 1-5 på hvert spørgsmål (som givet, *ikke* vendt for omvendte
# spørgsmål), tomt for blankt, *Ved ikke*, en fejlbehæftet celle eller et spørgsmål, bølgen ikke
# stillede. Respondenten kendes kun ved en nøglet hash (`respondent_key`), der ikke vises her.
# Navne, e-mails og fritekst er aldrig læst ind.

# %%
besvarelser = resultat["besvarelser.parquet"]
vis_kolonner = ["boelge", "kommunekode", "rolle", "kilde", "kilde_raekke"]
vis_kolonner += reference.items_of_wave(boelge)[:4] + ["antal_ved_ikke"]
nb.show(besvarelser.loc[besvarelser["boelge"] == boelge, vis_kolonner].head(8), decimals=0)

# %% [markdown]
# ### Hvem har svaret?
#
# Besvarelser pr. bølge og rolle. Rollefordelingen bør ligne sig selv fra bølge til bølge;
# ændrer den sig meget, kan det flytte scorerne (ledere svarer typisk lidt mere positivt end
# medarbejdere).

# %%
nb.show(
    pd.crosstab(
        besvarelser["rolle"].fillna("(ukendt)"),
        besvarelser["boelge"],
        margins=True,
        margins_name="i alt",
    )
)

# %% [markdown]
# ### Besvarelser pr. kommune
#
# Histogrammet viser, hvor mange talte besvarelser hver kommune har i bølgen. Kommuner til
# venstre for den stiplede linje har færre end tre besvarelser: deres tal vises aldrig i
# opsummeringen eller en figur (de skjules med årsagen). Listen nedenfor histogrammet er de
# kommuner, der slet ikke har talte besvarelser i bølgen.

# %%
nb.show(data_quality.plot_respondents_per_municipality(resultat, boelge, indstillinger))

# %%
kommuner = reference.municipalities()
med_svar = set(besvarelser.loc[besvarelser["boelge"] == boelge, "kommunekode"])
uden_svar = kommuner[~kommuner["kommunekode"].isin(med_svar)]
print(f"{len(uden_svar)} kommuner uden talte besvarelser i bølge {boelge}:")
nb.show(uden_svar[["kommunekode", "kommune", "region"]])

# %% [markdown]
# Næste skridt: `02_temascorer_og_reliabilitet`, hvor besvarelserne bliver til temascorer og
# modenhedsindeks.
