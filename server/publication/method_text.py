"""The report's method section, written from the settings actually used."""

from analysis.settings import GradationSettings


def method_paragraphs(settings: GradationSettings, language: str) -> list[str]:
    """Paragraphs describing the analysis as run; every number comes from `settings`."""
    level = round(100 * (1 - settings.alpha))
    if language == "da":
        out = [
            f"Respondenterne vurderede hvert tiltag på en skala fra 0 (slet ikke indgribende) til 100 (meget indgribende). "
            f"For hvert tiltag, hver respondentgruppe og hvert område angives gennemsnit med {level} % konfidensinterval "
            f"(klyngerobust på respondentniveau), median og antal svar. »Ved ikke« og »vil ikke svare« indgår ikke i gennemsnittet, men vises for sig.",
            f"Hvert par af tiltag sammenlignes inden for samme respondent. Forskellen testes med Holm-korrigeret test "
            f"(α = {settings.alpha:g}), og ligeværdighed med TOST-ækvivalenstest med en margin på ±{settings.margin:g} point, fastsat før data blev set. "
            f"Hvert par får dommen mindre, lige, mere eller uafklaret.",
            "Trinene dannes af parvise domme efter en fast regel: tiltagene ordnes efter gennemsnit; et tiltag kommer på samme trin som de foregående, "
            "kun hvis det er vurderet lige indgribende med dem alle. Grænsen mellem to trin er afklaret, når alle tiltag på det nederste trin er "
            "mindre indgribende end alle på det øverste, ellers vises den som uafklaret.",
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
        f"and setting the report gives the mean with a {level}% confidence interval (clustered on respondents), the median and the number "
        f"of answers. \"Don't know\" and \"prefer not to answer\" are never averaged in; they are reported separately.",
        f"Every pair of measures is compared within respondents: a Holm-adjusted test of difference (alpha = {settings.alpha:g}) and a TOST "
        f"equivalence test with a margin of ±{settings.margin:g} points, fixed before the data were seen. Each pair gets the verdict "
        f"less, equivalent, more or undetermined.",
        "Tiers follow from the verdicts by a fixed rule: measures are ordered by mean; a measure joins the tier below it only if it is "
        "equivalent to every measure already there. The boundary between two tiers is settled when every measure of the lower tier is "
        "less intrusive than every measure of the upper one, and is shown as undetermined otherwise.",
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
