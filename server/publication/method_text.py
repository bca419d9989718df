"""The report's method section, written from the settings actually used."""

from analysis.settings import GradationSettings


def method_paragraphs(settings: GradationSettings, language: str) -> list[str]:
    """Paragraphs describing the analysis as run; every number comes from `settings`."""
    level = round(100 * (1 - settings.alpha))
    if language == "da":
        out = [
            f"Respondenterne vurderede hvert tiltag på en skala fra 0 (slet ikke indgribende) til 100 (meget indgribende). "
            f"For hvert tiltag, hver respondentgruppe og hvert område angives gennemsnit med {level} % konfidensinterval "
            f"(klyngerobust på afdelingsniveau, CR2 med Bell–McCaffrey-frihedsgrader; på respondentniveau i celler med færre end {settings.min_sites} afdelinger), median og antal svar. »Ved ikke« og »vil ikke svare« indgår ikke i gennemsnittet, men vises for sig.",
            f"Hvert par af tiltag sammenlignes inden for samme respondent, klyngerobust på samme måde. Alle domme i en celle aflæses af "
            f"Bonferroni-simultane intervaller: forskel, når ({level} %)-intervallet korrigeret for antallet af par udelukker 0, og ligeværdighed, når det "
            f"tilsvarende TOST-interval ligger inden for ±{settings.margin:g} point, fastsat før data blev set. Sandsynligheden for mindst én forkert "
            f"forskel og for mindst én forkert ligeværdighed i en celle er hver højst α = {settings.alpha:g}. Hvert par får dommen mindre, lige, mere eller uafklaret.",
            f"Tiltag vurderet af færre end {settings.min_measure_n} og celler med færre end {settings.min_cell_for_tiers} respondenter vises kun beskrivende "
            "og indgår ikke i trinene. Trinene dannes efter en fast regel: tiltagene ordnes efter gennemsnit, og der sættes kun en grænse, hvor hvert "
            "tiltag under den er vist mindre indgribende end hvert tiltag over den. Et trin er »lige«, når alle dets par er vist ligeværdige, og ellers "
            "er rækkefølgen inden for trinet uafklaret. Reglen giver samme trin, hvis skalaen vendes eller koderne omdøbes.",
        ]
        if settings.bootstrap:
            out.append(f"Rangintervaller ({level} %) er fundet ved bootstrap på respondentniveau med {settings.bootstrap_resamples} gentagelser (seed {settings.seed}).")
        models = [name for flag, name in ((settings.mixed_model, "lineær mixed model med respondent som tilfældig effekt"), (settings.ordinal_model, f"ordinal logit på {settings.ordinal_categories} kategorier som følsomhedsanalyse"), (settings.bradley_terry, "Bradley–Terry for parvise valg")) if flag]
        if models:
            out.append("Forskelle mellem grupper, køn, alder og erfaring er desuden modelleret med: " + "; ".join(models) + ".")
        out.append(
            "Parvise valg analyseres med Bradley–Terry-modellen med uafgjorte (Davidson 1970), hvor »ved ikke« tæller som uafgjort, og rangordningen "
            "(mindst indgribende først) med Plackett–Luce-modellen. Begge estimeres kun, når sammenligningerne hænger sammen i begge retninger; "
            "vinder eller taber et tiltag altid, rapporteres det i stedet for et estimat. Rangordningernes intervaller er fundet ved bootstrap "
            "over afdelinger eller respondenter. For hver celle sammenlignes ordenen efter vurderinger, parvise valg og rangordninger "
            "(Kendalls τ), og par af tiltag, som kilderne ordner modsat, vises."
        )
        out.append(f"Celler med færre end {settings.min_cell} respondenter er udeladt overalt i denne rapport og i de offentliggjorte data.")
        return out
    out = [
        f"Respondents rated each measure from 0 (not intrusive at all) to 100 (extremely intrusive). For each measure, respondent group "
        f"and setting the report gives the mean with a {level}% confidence interval (cluster-robust by site, CR2 with Bell-McCaffrey degrees "
        f"of freedom; respondent-level in cells with fewer than {settings.min_sites} sites), the median and the number "
        f"of answers. \"Don't know\" and \"prefer not to answer\" are never averaged in; they are reported separately.",
        f"Every pair of measures is compared within respondents, cluster-robust in the same way. All verdicts of a cell are read off "
        f"Bonferroni-simultaneous intervals: a difference when the interval adjusted for the number of pairs excludes 0, equivalence when the "
        f"matching TOST interval lies within ±{settings.margin:g} points, fixed before the data were seen. The chance of at least one false "
        f"difference, and of at least one false equivalence, in a cell is each at most alpha = {settings.alpha:g}. Each pair gets the verdict "
        f"less, equivalent, more or undetermined.",
        f"Measures rated by fewer than {settings.min_measure_n} respondents, and cells with fewer than {settings.min_cell_for_tiers}, are shown as "
        "descriptives only and left out of the tiers. Tiers follow by a fixed rule: measures are ordered by mean, and a boundary is drawn only "
        "where every measure below it is shown less intrusive than every measure above it. A tier is a tie when all its pairs are shown "
        "equivalent; otherwise the order within it is not settled. The rule gives the same tiers when the scale is reversed or codes renamed.",
    ]
    if settings.bootstrap:
        out.append(f"Rank intervals ({level}%) come from a respondent-level bootstrap with {settings.bootstrap_resamples} resamples (seed {settings.seed}).")
    models = [name for flag, name in ((settings.mixed_model, "a linear mixed model with a random intercept per respondent"), (settings.ordinal_model, f"an ordered logit on {settings.ordinal_categories} categories as a sensitivity check"), (settings.bradley_terry, "Bradley-Terry for the paired comparisons")) if flag]
    if models:
        out.append("Differences between groups, gender, age and experience are also modelled with " + "; ".join(models) + ".")
    out.append(
        "Paired choices are analysed with the Bradley-Terry model with ties (Davidson 1970), \"don't know\" counting as a tie, and the ranking "
        "task (least intrusive first) with the Plackett-Luce model. Both are estimated only when the comparisons link every measure in both "
        "directions; a measure that always wins or always loses is reported instead of given an estimate. Ranking intervals come from a "
        "bootstrap over sites or respondents. For every cell the orders by ratings, paired choices and rankings are compared (Kendall's tau), "
        "and pairs of measures the sources order oppositely are shown."
    )
    out.append(f"Cells with fewer than {settings.min_cell} respondents are left out everywhere in this report and in the published data.")
    return out
