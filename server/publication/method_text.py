"""The report's method section, written from the settings actually used and, where the
document carries them, from the fitted models and each cell's design precision."""

from typing import Any

from analysis.settings import GradationSettings
from server.publication.rendering import number, plain
from server.publication.wording import word

#: How the mixed model's standard errors were computed (``MixedModelResult.se_method``).
SE_METHODS = {
    "site_cv3": {
        "da": "klyngerobuste på afdelingsniveau (leave-one-site-out jackknife, CV3) med t-fordeling på {df} frihedsgrader ({sites} afdelinger)",
        "en": "cluster-robust by site (leave-one-site-out jackknife, CV3) with t quantiles on {df} degrees of freedom ({sites} sites)",
    },
    "site_cr1": {
        "da": "klyngerobuste på afdelingsniveau (CR1-sandwich) med t-fordeling på {df} frihedsgrader ({sites} afdelinger)",
        "en": "cluster-robust by site (CR1 sandwich) with t quantiles on {df} degrees of freedom ({sites} sites)",
    },
    "model": {
        "da": "modellens egne (kun {sites} afdeling(er): betinget af netop disse afdelinger)",
        "en": "the model's own ({sites} site(s) only: conditional on these sites)",
    },
}


def group_difference_paragraphs(settings: GradationSettings, document: dict[str, Any], language: str) -> list[str]:
    """Where the group differences of the report come from: the mixed model's contrasts
    per setting, its random effects and standard errors, as fitted (or that there are none)."""
    level = round(100 * (1 - settings.alpha))
    fits = [(m["setting"], m["mixed"]) for m in document.get("models", []) if m.get("mixed")]
    if not fits:
        if language == "da":
            return ["Forskelle mellem grupper vises kun som gennemsnit side om side; der er ikke fitted en model for gruppeforskelle, så de er ikke testet."]
        return ["Differences between groups are shown only as means side by side; no model of group differences was fitted, so they are not tested."]
    out = []
    if language == "da":
        out.append(
            "Gruppeforskellene i tabellerne »Gruppe mod« er kontraster fra en lineær mixed model pr. område: vurderingen (0–100) modelleres "
            "på tiltag × respondentgruppe samt køn, aldersgruppe og tidligere erfaring med tiltaget, med et tilfældigt intercept pr. respondent "
            "(nogle vurderer generelt strengere end andre). En kontrast er forskellen mellem en gruppe og patienterne for ét tiltag "
            f"(gruppens hovedeffekt plus dens interaktion med tiltaget) med {level} % konfidensinterval og p-værdi. Afdelingernes varianskomponent "
            "angives kun beskrivende og indgår ikke i standardfejlene."
        )
    else:
        out.append(
            "The group differences in the \"Group vs\" tables are contrasts from a linear mixed model per setting: the rating (0-100) is "
            "modelled on measure x respondent group plus gender, age band and prior experience of the measure, with a random intercept per "
            "respondent (some people rate everything more harshly). A contrast is the difference between a group and patients for one "
            f"measure (the group's main effect plus its interaction with the measure) with a {level}% confidence interval and p-value. "
            "The site variance component is reported as a description only; it does not enter the standard errors."
        )
    for setting, fit in fits:
        name = word(setting, language)
        if fit.get("error"):
            # The library's own message stays as it is (it names the numerical problem).
            error = fit["error"].removeprefix("fit failed: ")
            out.append(f"{name}: modellen kunne ikke estimeres; programmets besked: »{error}«." if language == "da" else f"{name}: the model could not be fitted; the software's message: “{error}”.")
            continue
        df = number(fit["df"], 0, language) if fit.get("df") is not None else "–"
        se = SE_METHODS.get(fit.get("se_method", ""), {}).get(language, fit.get("se_method", ""))
        se = se.format(df=df, sites=fit.get("sites", 0))
        if language == "da":
            text = f"{name}: {fit['respondents']} respondenter, {fit['observations']} vurderinger; standardfejlene er {se}"
            text += ("; estimeret på en tilfældig delmængde af respondenterne" if fit.get("subsampled") else "") + ("." if fit.get("converged", True) else "; modellen konvergerede ikke.")
        else:
            text = f"{name}: {fit['respondents']} respondents, {fit['observations']} ratings; standard errors are {se}"
            text += ("; fitted on a random subset of the respondents" if fit.get("subsampled") else "") + ("." if fit.get("converged", True) else "; the model did not converge.")
        out.append(text)
    return out


def precision_paragraphs(document: dict[str, Any], language: str) -> list[str]:
    """The design precision of each cell: the difference it could detect and the margin
    within which it could show a tie (from ``sensitivity.precision``)."""
    out = []
    for group in document.get("groups", []):
        precision = (group.get("sensitivity") or {}).get("precision")
        if not precision or precision.get("detectable_difference") is None:
            continue
        cell = f"{word(group['group'], language)} – {word(group['setting'], language)}"
        power = number(100 * precision["power"], 0, language)
        alpha = plain(round(precision["alpha_family"], 5), language)
        dd, dd_max = number(precision["detectable_difference"], 1, language), number(precision.get("detectable_difference_max"), 1, language)
        margin = number(precision.get("provable_margin"), 1, language)
        if language == "da":
            out.append(
                f"{cell}: med {group['respondents']} respondenter kan designet påvise en forskel på {dd} point mellem to tiltag "
                f"(median over {precision['pairs']} par; {dd_max} for det mindst præcise par) med {power} % styrke ved α = {alpha} pr. par, "
                f"og to lige indgribende tiltag kan kun vises ligeværdige inden for ±{margin} point (median)."
            )
        else:
            out.append(
                f"{cell}: with {group['respondents']} respondents the design detects a difference of {dd} points between two measures "
                f"(median over {precision['pairs']} pairs; {dd_max} for the least precise pair) with {power}% power at alpha = {alpha} per pair, "
                f"and two equally intrusive measures can be shown equivalent only within ±{margin} points (median)."
            )
    return out


def method_paragraphs(settings: GradationSettings, language: str, document: dict[str, Any] | None = None) -> list[str]:
    """Paragraphs describing the analysis as run; every number comes from `settings` or,
    for the models and the precision, from `document`."""
    extra = group_difference_paragraphs(settings, document, language) + precision_paragraphs(document, language) if document is not None else []
    return _settings_paragraphs(settings, language) + extra


def _settings_paragraphs(settings: GradationSettings, language: str) -> list[str]:
    level = round(100 * (1 - settings.alpha))
    if language == "da":
        out = [
            f"Respondenterne vurderede hvert tiltag på en skala fra 0 (slet ikke indgribende) til 100 (meget indgribende). "
            f"For hvert tiltag, hver respondentgruppe og hvert område angives gennemsnit med {level} % konfidensinterval "
            f"(klyngerobust på afdelingsniveau, CR2 med Bell–McCaffrey-frihedsgrader; på respondentniveau i celler med færre end {settings.min_sites} afdelinger), median og antal svar. »Ved ikke« og »vil ikke svare« indgår ikke i gennemsnittet, men vises for sig.",
            f"Hvert par af tiltag sammenlignes inden for samme respondent, klyngerobust på samme måde. Alle domme i en celle aflæses af "
            f"Bonferroni-simultane intervaller: forskel, når ({level} %)-intervallet korrigeret for antallet af par udelukker 0, og ligeværdighed, når det "
            f"tilsvarende TOST-interval ligger inden for ±{plain(settings.margin, 'da')} point, fastsat før data blev set. Sandsynligheden for mindst én forkert "
            f"forskel og for mindst én forkert ligeværdighed i en celle er hver højst α = {plain(settings.alpha, 'da')}. Hvert par får dommen mindre, lige, mere eller uafklaret.",
            f"Tiltag vurderet af færre end {settings.min_measure_n} og celler med færre end {settings.min_cell_for_tiers} respondenter vises kun beskrivende "
            "og indgår ikke i trinene. Trinene dannes efter en fast regel: tiltagene ordnes efter gennemsnit, og der sættes kun en grænse, hvor hvert "
            "tiltag under den er vist mindre indgribende end hvert tiltag over den. Et trin er »lige«, når alle dets par er vist ligeværdige, og ellers "
            "er rækkefølgen inden for trinet uafklaret. Reglen giver samme trin, hvis skalaen vendes eller koderne omdøbes.",
        ]
        if settings.bootstrap:
            out.append(
                f"Rangintervaller ({level} %) er fundet ved bootstrap med {settings.bootstrap_resamples} gentagelser (seed {settings.seed}): "
                f"hele afdelinger trækkes i celler med mindst {settings.min_sites} afdelinger, ellers respondenter."
            )
        models = [name for flag, name in ((settings.mixed_model, "lineær mixed model med et tilfældigt intercept pr. respondent"), (settings.ordinal_model, f"ordinal logit på {settings.ordinal_categories} kategorier som følsomhedsanalyse"), (settings.bradley_terry, "Bradley–Terry for parvise valg")) if flag]
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
        out.append(
            f"Rank intervals ({level}%) come from a bootstrap with {settings.bootstrap_resamples} resamples (seed {settings.seed}): "
            f"whole sites are resampled in cells with at least {settings.min_sites} sites, respondents otherwise."
        )
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
