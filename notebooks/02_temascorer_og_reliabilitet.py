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
# # 02 · Temascorer, modenhedsindeks og reliabilitet
#
# Fra besvarelser til tal, man kan sammenligne:
#
# - **Respondentens temascore** er gennemsnittet af vedkommendes svar 1-5 på temaets spørgsmål i
#   bølgen (omvendte spørgsmål som 6 − svaret), men kun hvis mindst halvdelen af temaets
#   spørgsmål (rundet op) er besvaret.
# - **Kommunens temascore** er gennemsnittet af dens respondenters temascorer, med antallet og et
#   95 %-konfidensinterval.
# - **Modenhedsindekset** er gennemsnittet af de seks temascorer (vægtene kan ændres i
#   indstillingerne); det mangler, hvis ét tema mangler. **Niveauet** følger af indekset:
#   1 Begynder [1; 1,8), 2 Afprøvende [1,8; 2,6), 3 Etableret [2,6; 3,4), 4 Integreret [3,4; 4,2),
#   5 Førende [4,2; 5].
# - **Reliabiliteten** fortæller, om temaets spørgsmål måler det samme: Cronbachs α og McDonalds ω.
#
# Alt, der vises om enkelte kommuner, følger reglen om små tal: en score, der hviler på færre
# end tre respondenter, er skjult (tabellerne skriver *færre end 3 besvarelser*), og figurerne
# tegner den ikke.

# %% tags=["parameters"]
RAW = "../data/raw"
OUT = "../data/processed"
BOELGE = None
INDSTILLINGER = None

# %%
from omstilling_analysis import notebooks as nb  # noqa: E402
from omstilling_analysis import reference, settings  # noqa: E402
from omstilling_analysis.plots import data_quality, reliability  # noqa: E402
from omstilling_analysis.text import theme_names  # noqa: E402

# %%
RAW = nb.ensure_raw_data(RAW)
indstillinger = settings.load_settings(INDSTILLINGER)
resultat = nb.run_analysis(RAW, indstillinger)
boelge = nb.choose_wave(resultat, BOELGE)
# Det, der må offentliggøres (skjulte værdier fjernet), og alt, der er afledt af det:
data = resultat.summary_data()
figurer = data.figures

# %% [markdown]
# ## Modenhedsniveauerne
#
# Hvor mange kommuner er på hvert niveau i bølgen? Kommuner uden offentliggjort indeks (færre
# end tre respondenter, eller et tema uden tre respondenter med en score) tælles ikke med;
# antallet står under figuren.

# %%
nb.show(figurer[f"modenhedsniveauer_{boelge}"]())

# %% [markdown]
# ## Temaernes fordeling
#
# Én boks pr. tema: boksen spænder fra nedre til øvre kvartil af kommunernes scorer, stregen er
# medianen, og knurhårene viser spredningen uden de yderste kommuner. Et tema med boksen længere
# til højre står stærkere i landet som helhed; en bred boks betyder stor forskel mellem
# kommunerne. Tabellen under figuren giver de samme tal (landsplan, kun offentliggjorte
# kommuneværdier).

# %%
nb.show(figurer[f"temafordeling_{boelge}"]())

# %%
navne = theme_names() | {"modenhedsindeks": "Modenhedsindeks"}
landsplan = data.national(boelge).rename(index=navne).rename_axis("mål")
nb.show(
    landsplan[
        ["n_kommuner", "n_respondenter", "gennemsnit", "sd", "kvartil_1", "median", "kvartil_3"]
    ]
)

# %% [markdown]
# ## Regionerne
#
# Hver prik er en kommunes modenhedsindeks, stregen er regionens gennemsnit. Forskellen mellem
# regionerne er typisk lille i forhold til forskellen inden for en region.

# %%
nb.show(figurer[f"indeks_regioner_{boelge}"]())

# %%
regioner = data.regional(boelge).pivot_table(index="omraade", columns="maal", values="gennemsnit")
regioner = regioner.reindex(columns=[*reference.theme_codes(), "modenhedsindeks"])
nb.show(regioner.rename(columns=navne).rename_axis(index="region", columns=None))

# %% [markdown]
# ## Kommunerne og deres rang
#
# Tabellen er arket *Kommuner* i Excel-opsummeringen, sorteret efter rang. **Rangintervallet**
# (90 %) er vigtigere end rangen selv: det kommer af en bootstrap, hvor respondenterne i hver
# kommune trækkes om (`bootstrap` i indstillingerne, standard 200 gange), og siger, hvor kommunen
# med rimelighed kunne ligge. Kommuner med overlappende intervaller kan ikke skelnes sikkert.
# **Ændring i indeks** er ændringen siden kommunens forrige bølge; **Sikker ændring** er *ja*, når
# ændringen er statistisk sikker (p < 0,05).

# %%
kommunetabel = data.municipality_table(boelge)
rangeret = kommunetabel[kommunetabel["Rang"].map(lambda r: isinstance(r, int))]
rangeret = rangeret.sort_values("Rang")
kolonner = ["Kommune", "Region", "Respondenter", "Modenhedsindeks", "Modenhedsniveau"]
kolonner += ["Rang", "Ranginterval (90 %)", "Ændring i indeks", "Sikker ændring"]
print("De ti højest placerede:")
nb.show(rangeret[kolonner].head(10))
print("De ti lavest placerede:")
nb.show(rangeret[kolonner].tail(10))

# %%
skjulte = kommunetabel[kommunetabel["Modenhedsindeks"].map(lambda v: isinstance(v, str))]
print(f"{len(skjulte)} kommuner har intet offentliggjort indeks i bølge {boelge}:")
nb.show(skjulte[["Kommune", "Respondenter", "Modenhedsindeks"]])

# %% [markdown]
# ## Udviklingen på landsplan
#
# Landsgennemsnittet af hvert tema og af indekset i hver bølge (gennemsnit over kommuner med
# offentliggjorte værdier). Vær opmærksom på, at spørgsmålene ikke er helt de samme i alle
# bølger (se kodebogens `boelger`), og at kommunerne, der svarer, kan skifte.

# %%
if "udvikling_landsplan" in figurer:
    nb.show(figurer["udvikling_landsplan"]())
else:
    print("Der er kun én bølge i data: ingen udvikling at vise.")

# %%
aendringer = data.changes[(data.changes["boelge"] == boelge) & ~data.changes["skjult"]]
sikre = aendringer[aendringer["sikker_aendring"].fillna(False).astype(bool)]
print(
    f"Bølge {boelge}: {len(sikre)} af {len(aendringer)} kommuner med en offentliggjort ændring "
    "har en statistisk sikker ændring i indekset "
    f"({int((sikre['aendring'] > 0).sum())} op, {int((sikre['aendring'] < 0).sum())} ned)."
)

# %% [markdown]
# ## Reliabilitet: måler temaets spørgsmål det samme?
#
# - **Cronbachs α** (med 95 %-konfidensinterval efter Feldt): 0,7 eller derover regnes normalt
#   for acceptabelt, 0,8 for godt. Meget høje værdier (over 0,95) kan betyde, at spørgsmålene
#   næsten gentager hinanden.
# - **McDonalds ω** bygger på en faktormodel og kræver ikke, at alle spørgsmål vejer lige meget.
#   Ligger ω tydeligt over α, vejer spørgsmålene forskelligt.
# - `n` er antallet af respondenter, `k` antallet af spørgsmål i temaet i bølgen.
#
# Figuren viser α (punkt med interval) og ω (kryds) for hvert tema og hver bølge. Et tema, der
# falder under den prikkede linje ved 0,7, bør man læse med forsigtighed.

# %%
reliabilitet = resultat["reliabilitet.csv"]
nb.show(reliability.plot_reliability(reliabilitet))

# %%
nb.show(
    reliabilitet[reliabilitet["boelge"] == boelge].drop(columns="boelge").set_index("tema"),
    decimals=3,
)

# %% [markdown]
# ## Spørgsmålene
#
# Svarfordelingen pr. spørgsmål i bølgen (blå: enig, rød: uenig). Omvendte spørgsmål er markeret:
# her er *uenig* det modne svar, og deres svar vendes, før de indgår i temascoren.
#
# Tabellen under figuren viser de fem spørgsmål, der hænger svagest sammen med resten af deres
# tema: `item_rest_r` er korrelationen mellem spørgsmålet og summen af temaets øvrige spørgsmål
# (under 0,3 er svagt), og `alpha_uden_item` er temaets α uden spørgsmålet. Er den højere end
# temaets α, trækker spørgsmålet reliabiliteten ned og bør ses efter (formulering, omvending).
# `andel_ved_ikke` er andelen af *Ved ikke*-svar: en høj andel tyder på et spørgsmål, som
# respondenterne ikke kan svare på.

# %%
items = resultat["itemstatistik.csv"]
nb.show(data_quality.plot_item_answers(items, boelge))

# %%
alpha = reliabilitet[reliabilitet["boelge"] == boelge].set_index("tema")["alpha"]
svagest = items[items["boelge"] == boelge].sort_values("item_rest_r").head(5)
svagest = svagest.assign(temaets_alpha=svagest["tema"].map(alpha))
nb.show(
    svagest[
        ["item", "tema", "omvendt", "n", "gns", "andel_ved_ikke", "item_rest_r"]
        + ["alpha_uden_item", "temaets_alpha"]
    ],
    decimals=3,
)

# %% [markdown]
# Næste skridt: `03_klynger`, hvor kommunerne grupperes efter deres profil på de seks temaer.
