//! A short French novel written for the tests (original text, not taken from any book).
//!
//! It packs what the sentence pipeline has to cope with in real novels: « » dialogue with
//! incises, dialogue paragraphs opened by a dash, abbreviations (M., Mme, Dr., J.-C.),
//! ellipses, numbers with a thousands dot, semicolons, long sentences with relative clauses,
//! hyphenated compounds, and one sentence the author repeats verbatim: « Maintenant ou jamais. »

/// Title of the book (the fixtures print it in capitals as the odd-page running header).
pub const TITLE: &str = "L’Horloger de la rue des Carmes";
/// Author (the even-page running header).
pub const AUTHOR: &str = "Hélène Marchais";
/// The sentence the author repeats word for word, in several chapters.
pub const REFRAIN: &str = "Maintenant ou jamais.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// Heading as printed, e.g. "CHAPITRE III — Le docteur".
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// The hand-written text: seven chapters, about 3,400 words.
pub fn chapters() -> Vec<Chapter> {
    CHAPTERS
        .iter()
        .enumerate()
        .map(|(i, (name, paragraphs))| chapter(i + 1, name, paragraphs))
        .collect()
}

/// The hand-written chapters repeated, and renumbered ("CHAPITRE XIV — …"), until the book
/// fills at least `min_pages_hint` pages at the default fixture layout. Deterministic: the
/// same hint always gives the same book. Every chapter starts on a new page, so the page
/// count is the sum of the chapters' own counts.
pub fn novel(min_pages_hint: usize) -> Vec<Chapter> {
    let layout = super::pdf::FixtureOptions::default();
    let pages_per_chapter: Vec<usize> = chapters()
        .iter()
        .map(|c| super::pdf::chapter_page_count(c, &layout))
        .collect();
    let mut book = Vec::new();
    let mut pages = 0;
    let mut i = 0;
    while pages < min_pages_hint.max(1) {
        let k = i % CHAPTERS.len();
        let (name, paragraphs) = CHAPTERS[k];
        book.push(chapter(i + 1, name, paragraphs));
        pages += pages_per_chapter[k];
        i += 1;
    }
    book
}

fn chapter(number: usize, name: &str, paragraphs: &[&str]) -> Chapter {
    Chapter {
        title: format!("CHAPITRE {} — {}", roman(number), name),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// Upper-case roman numeral (chapter numbers).
pub fn roman(mut n: usize) -> String {
    const DIGITS: [(usize, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in DIGITS {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

const CHAPTERS: &[(&str, &[&str])] = &[
    (
        "La boutique",
        &[
            "La boutique de M. Lambert se trouvait au fond de la rue des Carmes, entre une \
             mercerie qui ne vendait plus grand-chose et une boulangerie dont l’odeur, chaque \
             matin, montait jusqu’aux étages. On y entrait par une porte basse ; une clochette \
             de cuivre annonçait les clients, qui étaient rares, et le vieil horloger levait \
             alors la tête sans lâcher sa loupe.",
            "Lucie Roux avait dix-sept ans lorsqu’elle poussa cette porte pour la première \
             fois. Sa mère, Mme Roux, lavait le linge des familles du quartier, et elle avait \
             pensé qu’un métier propre, un métier de patience, conviendrait à une fille qui \
             parlait peu et regardait tout.",
            "Ce premier jour, il ne lui fit rien toucher. Il la fit asseoir sur un tabouret, à sa \
             gauche, et lui demanda de regarder. Elle regarda donc : les doigts du vieil homme, \
             tachés et pourtant d’une précision extraordinaire ; les petites boîtes de carton où \
             dormaient des vis plus fines que des cils ; les pinces, les tournevis, les brucelles, \
             rangés par taille sur un morceau de feutre vert qui avait dû être neuf avant la \
             guerre. De temps en temps, il lui tendait une pièce et lui en disait le nom, sans rien \
             expliquer d’autre, comme on apprend à un enfant les noms des oiseaux.",
            "À midi, il sortit d’un tiroir un morceau de pain, un peu de fromage et deux pommes \
             ridées, dont il lui donna la plus belle. Ils mangèrent en silence. Dehors, des gens \
             passaient sous la pluie sans regarder la vitrine, où une demi-douzaine de pendules, \
             toutes arrêtées à des heures différentes, semblaient attendre quelqu’un.",
            "« Vous savez lire l’heure ? » demanda le vieil homme.",
            "« Oui, monsieur. »",
            "« Alors vous savez déjà le plus difficile. Le reste, c’est-à-dire les ressorts, \
             les rouages et les aiguilles, ce n’est que de la mécanique. » Il posa sa loupe, la \
             regarda longuement, puis ajouta, comme s’il se parlait à lui-même : « Maintenant \
             ou jamais. »",
            "Lucie ne comprit pas ce qu’il voulait dire. Elle apprit plus tard que c’était sa \
             phrase favorite, celle qu’il prononçait avant d’ouvrir une montre dont personne ne \
             voulait plus, avant de traverser la rue sous l’averse, avant de prendre une \
             décision, si petite fût-elle.",
            "Au-dessus de l’établi, une grande horloge de chêne, arrêtée depuis des années, \
             marquait toujours quatre heures moins dix. Personne ne savait pourquoi elle s’était \
             tue ; M. Lambert lui-même n’en parlait jamais, et lorsque Lucie lui posa la \
             question, il se contenta de hausser les épaules.",
            "— Certaines choses attendent leur heure, dit-il. Celle-ci attend la sienne.",
            "— Et si elle ne revenait jamais ?",
            "— Alors elle aura eu raison de se taire.",
            "Le soir, en rentrant, Lucie trouva sa mère assise près du poêle, les pieds sur une \
             brique chaude, occupée à repriser un drap qui n’était pas à elle.",
            "« Alors ? » demanda Mme Roux.",
            "« Alors, je crois que j’y retournerai demain. »",
            "Sa mère ne dit rien, mais Lucie vit qu’elle souriait au-dessus de son aiguille ; et ce \
             sourire-là, qu’elle voyait si rarement, lui parut valoir toutes les explications du \
             monde.",
        ],
    ),
    (
        "La lettre",
        &[
            "L’hiver passa. Lucie apprit à démonter un mouvement, à nettoyer les pivots avec \
             de la moelle de sureau, à distinguer au premier coup d’œil une montre de Besançon \
             d’une montre de Genève. Elle arrivait à huit heures, repartait à sept, et le soir, \
             en rentrant, elle racontait à sa mère les petites victoires de la journée.",
            "M. Lambert parlait peu, mais il lui arrivait, les jours de grand froid, quand le poêle \
             ronflait et que personne ne viendrait plus, de raconter des histoires. Il avait été \
             apprenti à Besançon, chez un maître qui frappait les doigts maladroits avec une règle \
             de fer ; il avait réparé, disait-il, la montre d’un ministre, celle d’un évêque et \
             celle d’un voleur, qui était de loin la plus belle des trois. Lucie ne savait jamais \
             s’il fallait le croire, et elle le croyait toujours.",
            "Un matin de mars, le facteur apporta une enveloppe épaisse, timbrée de Rouen, que \
             M. Lambert ouvrit avec un coupe-papier d’ivoire. Il la lut deux fois, la replia, \
             puis la posa sur l’établi sans un mot.",
            "« Mauvaise nouvelle ? » demanda Lucie.",
            "« C’est J.-C. Bertin, le notaire. Il me réclame 1.200 francs avant la fin du mois, \
             faute de quoi la boutique sera vendue. » Il eut un petit rire sec. « Douze cents \
             francs… Je n’en ai pas vu autant depuis la guerre. »",
            "Lucie fit le calcul de tête. La boutique rapportait, les bons mois, de quoi payer le \
             loyer et le charbon ; les mauvais mois, elle ne rapportait rien du tout. Quant aux \
             économies du vieil homme, s’il en avait, elles devaient tenir dans une boîte \
             d’allumettes.",
            "— Qu’est-ce que vous allez faire ? demanda-t-elle.",
            "— Ce que l’on fait toujours, répondit-il en reprenant sa loupe. Attendre que quelque \
             chose se décide sans moi.",
            "Elle aurait voulu protester ; elle n’osa pas. Mais toute la journée, en limant, en \
             nettoyant, en remontant des ressorts, elle ne pensa qu’à cette somme qui grossissait \
             dans sa tête comme une tache d’encre sur un buvard.",
            "Le soir même, Lucie raconta tout à sa mère. Mme Roux écouta en silence, les mains \
             posées sur la table, puis elle alla chercher dans l’armoire une boîte en fer qui \
             avait contenu des biscuits et qui contenait à présent, soigneusement pliés, les \
             billets de toute une vie.",
            "« Il y a là 340 francs, dit-elle. Ce n’est pas assez, mais c’est peut-être un \
             commencement. »",
            "« Je ne peux pas prendre ça, maman. »",
            "« Tu ne le prends pas ; je le prête. Et c’est à M. Lambert que je le prête, pas à \
             toi. » Elle referma la boîte. « Un homme qui a appris un métier à ma fille mérite \
             qu’on l’aide à garder sa boutique. »",
            "Lucie ne répondit rien. Elle regarda la boîte, puis sa mère, et elle pensa, sans \
             savoir pourquoi, à la phrase du vieil horloger. Maintenant ou jamais.",
        ],
    ),
    (
        "Le docteur",
        &[
            "Au début d’avril, M. Lambert tomba malade. Ce fut d’abord une toux, qu’il \
             attribua au froid de l’atelier, puis une fièvre qui le cloua au lit dans le petit \
             appartement qu’il occupait au-dessus de la boutique. Lucie fit venir le Dr. \
             Vasseur, un homme grand et maigre qui portait encore, malgré la mode, un chapeau \
             melon et une barbe taillée en pointe.",
            "— Ce n’est rien de grave, dit le médecin après l’avoir examiné. Du repos, du \
             bouillon, et surtout pas de contrariétés.",
            "— Pas de contrariétés ! répéta le malade. Dites cela au notaire.",
            "— Je le dirai à qui vous voudrez, monsieur Lambert, mais vous resterez couché une \
             semaine ; c’est-à-dire sept jours entiers, et non pas trois, comme la dernière \
             fois.",
            "Le docteur rangea son stéthoscope, reboutonna son manteau et fit signe à Lucie de \
             le suivre dans l’escalier. Là, à voix basse, il lui expliqua que le cœur du vieil \
             homme était fatigué, qu’il n’y avait pas lieu de s’alarmer, mais qu’il valait mieux \
             lui épargner, pendant quelque temps, les mauvaises nouvelles.",
            "« Et la boutique ? » demanda-t-elle.",
            "« La boutique, mademoiselle, c’est vous qui la tiendrez. Vous en êtes capable, \
             n’est-ce pas ? »",
            "Elle hocha la tête. Elle n’en était pas sûre du tout… Mais le docteur était déjà \
             parti, et l’escalier sentait encore son tabac.",
            "Ce soir-là, Lucie ne rentra pas chez elle. Elle fit prévenir sa mère par le fils de \
             la boulangère, installa une chaise près du lit et veilla jusqu’à l’aube, en écoutant \
             la respiration du malade, qui s’arrêtait parfois si longtemps qu’elle se penchait, \
             inquiète, pour s’assurer qu’il respirait encore. Vers trois heures, il ouvrit les \
             yeux, la reconnut et murmura quelque chose qu’elle ne comprit pas ; puis il se \
             rendormit, plus calme, et elle aussi, la tête contre le montant du lit.",
            "Les jours suivants, Lucie monta le bouillon matin et soir. Le malade le buvait en \
             grimaçant, puis il réclamait des nouvelles de l’atelier, et elle lui rendait compte \
             de tout, à voix basse, comme une infirmière : la pendule de Mme Fabre était prête ; le \
             réveil du boulanger sonnait de nouveau, hélas, à quatre heures du matin ; un monsieur \
             en gants gris était venu demander le prix de la grande horloge, et elle lui avait \
             répondu qu’elle n’était pas à vendre.",
            "— Vous avez bien fait, dit M. Lambert. Elle n’est pas à vendre. Du moins… pas \
             encore.",
            "Il ferma les yeux, et Lucie crut qu’il s’endormait. Mais au bout d’un moment, sans \
             rouvrir les yeux, il ajouta : « Maintenant ou jamais, voilà ce que je me dis tous les \
             matins, et tous les soirs je remets au lendemain. C’est une drôle de manière de vivre, \
             mademoiselle. Ne faites pas comme moi. »",
            "Le Dr. Vasseur revint le jeudi, puis le dimanche. Il trouvait le pouls meilleur, la \
             toux moins sèche, et il repartait chaque fois en laissant sur la table de nuit une \
             ordonnance illisible et une odeur de tabac qui mettait plusieurs heures à se \
             dissiper.",
        ],
    ),
    (
        "Le marché",
        &[
            "Pendant huit jours, Lucie ouvrit seule la boutique. Les clients, qui avaient \
             d’abord hésité en voyant une jeune fille derrière l’établi, revinrent peu à peu ; \
             on lui confia une pendule de cheminée, deux réveils, une montre d’homme dont le \
             verre était fendu, et même, un mardi, le vieux chronomètre d’un capitaine au long \
             cours qui jurait qu’il n’avait pas retardé d’une seconde en trente ans.",
            "Le samedi, elle alla au marché de la place Saint-Marc pour acheter des légumes et \
             du pain. Il avait plu toute la matinée, et lorsque le soleil revint, un \
             arc-en-ciel se dessina au-dessus des toits, si net et si complet que les marchandes \
             elles-mêmes s’arrêtèrent pour le regarder.",
            "La place était pleine de monde. Les marchandes de quatre-saisons criaient leurs prix, \
             les chiens se disputaient les épluchures, et un vieux joueur d’orgue de Barbarie, \
             posté à l’angle de la rue du Bec, jouait toujours le même air, si faux qu’on \
             finissait par le trouver charmant.",
            "Devant l’étal du fromager, elle rencontra Mme Fabre, la veuve du pharmacien, qui lui \
             demanda des nouvelles du vieil horloger avec cet air de gourmandise que prennent \
             certaines personnes quand elles espèrent apprendre un malheur.",
            "« On dit qu’il va vendre, chuchota-t-elle. On dit même que le notaire… »",
            "« On dit beaucoup de choses, madame », répondit Lucie, et elle s’éloigna sans attendre \
             la suite, le rouge aux joues, furieuse contre elle-même de n’avoir rien trouvé de plus \
             spirituel.",
            "Lucie pensa à la grande horloge arrêtée. Elle pensa aussi aux 1.200 francs, aux \
             340 francs de sa mère, à tout ce qui manquait encore… Puis, sans trop savoir \
             comment, l’idée lui vint.",
            "Si l’horloge de chêne marchait de nouveau, M. Lambert pourrait la vendre ; un \
             antiquaire de la rue aux Juifs lui en avait offert, autrefois, une somme \
             considérable, et le vieil homme avait refusé. Elle ne valait rien arrêtée ; en \
             marche, elle valait peut-être une fortune.",
            "Bien sûr, il faudrait d’abord comprendre pourquoi elle s’était arrêtée, et Lucie \
             n’avait que quelques mois de métier ; bien sûr, M. Lambert, qui en avait cinquante, \
             n’avait jamais essayé, ou n’avait jamais voulu essayer, ce qui n’était pas la même \
             chose. Mais il suffisait peut-être de regarder avec des yeux neufs ce que d’autres \
             yeux, trop habitués, ne voyaient plus.",
            "Elle revit l’atelier tel qu’elle l’avait quitté le matin : l’établi en désordre, la \
             lampe éteinte, et, au fond, la haute silhouette de l’horloge, avec son cadran jauni et \
             ses aiguilles immobiles. Combien de fois était-elle passée devant sans la voir ? Cent \
             fois, mille fois peut-être ; comme tout le monde.",
            "Elle rentra en courant, son panier au bras, et les pommes de terre roulèrent sur \
             le pavé sans qu’elle prît la peine de les ramasser. Maintenant ou jamais.",
        ],
    ),
    (
        "L’horloge",
        &[
            "Ouvrir l’horloge ne fut pas difficile ; comprendre pourquoi elle s’était arrêtée \
             le fut beaucoup plus. Lucie passa trois soirées à examiner le mouvement, une lampe \
             à pétrole posée sur un tabouret, les outils alignés sur un chiffon, sans rien \
             trouver qui fût cassé, tordu ou usé au-delà du raisonnable.",
            "Elle travaillait le soir, après la fermeture, pour ne pas inquiéter le malade, qui \
             dormait juste au-dessus. Chaque fois qu’une marche craquait, elle soufflait la lampe \
             et attendait dans le noir, le cœur battant, comme une voleuse dans sa propre maison ; \
             puis, quand le silence était revenu, elle rallumait la mèche et reprenait son examen, \
             roue par roue, pivot par pivot.",
            "Elle nota tout dans un petit carnet : le nombre de dents de chaque roue, l’état des \
             pivots, la longueur du balancier, qui mesurait exactement 99,4 centimètres, ce qui lui \
             parut un chiffre étrange et presque poétique. Elle dessina l’échappement trois fois, \
             sans parvenir à le dessiner juste.",
            "Le quatrième soir, elle découvrit, coincé entre deux roues, un petit morceau de \
             papier plié en huit, que quelqu’un avait glissé là, peut-être exprès, peut-être \
             par hasard, et qui suffisait à bloquer tout le mécanisme. Elle le retira avec une \
             pince, le déplia et lut, d’une écriture fine et penchée qu’elle ne connaissait \
             pas : « Pour Étienne, qui n’a jamais su attendre. Maintenant ou jamais. »",
            "Elle resta longtemps immobile, le papier entre les doigts. Étienne, c’était le \
             prénom de M. Lambert ; elle l’avait lu sur les factures. Mais qui avait écrit ces \
             mots, et pourquoi les avait-on cachés dans une horloge, là où personne, sauf un \
             horloger, n’irait jamais les chercher ?",
            "Elle pensa à monter tout de suite ; puis elle pensa que le vieil homme dormait, et \
             qu’on ne réveille pas un malade pour lui tendre un morceau de papier vieux de trente \
             ans. Elle le posa sur l’établi, sous un verre de montre, comme un insecte rare, et \
             elle resta devant, les mains sur les genoux, sans savoir quoi faire. Puis elle se \
             souvint de la phrase, haussa les épaules et se remit au travail.",
            "Elle remonta le poids, donna une légère impulsion au balancier, et l’horloge, \
             après un hoquet, se remit à battre. Le bruit emplit l’atelier, régulier, grave, \
             presque solennel. Lucie s’aperçut qu’elle retenait son souffle ; elle se mit à rire \
             toute seule, puis, sans raison, à pleurer un peu.",
            "Là-haut, dans sa chambre, le vieil homme avait dû l’entendre, car le plancher \
             craqua, et une voix faible appela : « Lucie ? C’est elle ? C’est bien elle ? »",
        ],
    ),
    (
        "Marguerite",
        &[
            "— Elle s’appelait Marguerite, dit M. Lambert le lendemain, assis dans son \
             fauteuil, une couverture sur les genoux. Nous devions nous marier en 1912. Elle \
             m’avait demandé de choisir : partir avec elle pour l’Amérique, ou rester ici, avec \
             mes montres et mon père. J’ai demandé huit jours pour réfléchir.",
            "— Et au bout de huit jours ?",
            "— Au bout de huit jours, elle était partie. Elle avait laissé ce papier quelque \
             part ; je ne l’ai jamais trouvé. L’horloge s’est arrêtée la semaine suivante, et \
             je n’ai pas voulu savoir pourquoi. Je crois que j’avais peur de ce que j’y \
             trouverais.",
            "Il tenait le papier sur ses genoux et le lissait du plat de la main, comme on \
             caresse un chat endormi. Lucie n’osait rien dire. Dehors, la pluie avait repris ; \
             on entendait les gouttes frapper la vitrine, et, par-dessous, le battement de \
             l’horloge qui ne s’était plus arrêtée depuis la veille.",
            "— Vous voulez toujours la vendre ? demanda-t-elle enfin.",
            "— Non, dit-il. Mais je vais vendre autre chose.",
            "Il lui expliqua qu’il possédait, dans un coffre au fond de l’atelier, une \
             collection de montres anciennes qu’il n’avait jamais montrée à personne ; \
             certaines dataient du siècle dernier, d’autres venaient de Suisse ou d’Angleterre, \
             et l’une d’elles, disait-il, avait appartenu à un amiral. L’antiquaire de la rue \
             aux Juifs en donnerait bien 2.500 francs, peut-être davantage.",
            "« Vous y teniez, pourtant », fit remarquer Lucie.",
            "« J’y tenais. J’ai tenu à beaucoup de choses trop longtemps. » Il replia le papier \
             et le glissa dans la poche de son gilet. « Maintenant ou jamais, n’est-ce pas ? »",
            "Ils descendirent ensemble, lentement, une marche après l’autre, lui appuyé d’un côté \
             sur la rampe et de l’autre sur l’épaule de Lucie. Le coffre était là où il l’avait \
             dit, sous une pile de cartons et de vieux journaux ; il fallut une demi-heure pour le \
             dégager, et le vieil homme dut s’asseoir deux fois pour reprendre son souffle.",
            "Quand il l’ouvrit enfin, Lucie ne put retenir un cri. Les montres reposaient dans des \
             alvéoles de velours bleu, chacune à sa place, chacune remontée, semblait-il, la veille \
             au soir : il y en avait d’or et d’argent, d’émail et d’acier, des rondes, des ovales, \
             une en forme de coquillage et une autre, minuscule, qu’on aurait pu cacher dans une \
             coquille de noix.",
            "— Vous les remontiez, dit-elle. Toutes. Depuis tout ce temps.",
            "— Il faut bien s’occuper, répondit-il, un peu gêné.",
        ],
    ),
    (
        "Le retour",
        &[
            "La vente eut lieu un jeudi, dans l’arrière-boutique de l’antiquaire, qui examina \
             chaque montre à la loupe en sifflotant entre ses dents. Il en offrit d’abord 1.800 \
             francs, puis 2.100, puis, comme M. Lambert faisait mine de tout remballer, 2.600 \
             francs, c’est-à-dire bien plus que ce que réclamait le notaire.",
            "J.-C. Bertin reçut son argent le lundi suivant. Il compta les billets deux fois, \
             signa une quittance et serra la main du vieil horloger avec une politesse un peu \
             gênée, comme s’il regrettait déjà de n’avoir pas été plus patient.",
            "Ce soir-là, M. Lambert voulut fêter l’événement. Il fit acheter une bouteille de vin \
             de Loire, du pâté, un pain de quatre livres, et il invita Mme Roux, qui vint en robe \
             noire et en chapeau comme pour un enterrement, tant elle était intimidée. Le Dr. \
             Vasseur, qui passait par hasard, resta pour le dessert ; il but deux verres, raconta \
             des histoires de médecin de campagne que personne ne crut, et affirma que le vin de \
             Loire était le meilleur remède contre les notaires.",
            "On rit beaucoup. Vers dix heures, la grande horloge sonna, et tout le monde se tut \
             pour l’écouter ; c’était la première fois depuis plus de trente ans qu’elle sonnait \
             dans la maison, et le son, grave et un peu voilé, sembla remplir non seulement \
             l’atelier, mais la rue entière, jusqu’à la place Saint-Marc.",
            "Avec ce qui restait, M. Lambert rendit à Mme Roux ses 340 francs, et il y ajouta, \
             malgré ses protestations, une montre de dame en argent, fine comme une feuille, qui \
             sonnait les heures d’une petite voix claire.",
            "« Je ne peux pas accepter ça, monsieur Lambert. »",
            "« Vous l’accepterez, madame, parce que votre fille a réparé ce que je n’avais pas \
             eu le courage de réparer moi-même. »",
            "Au printemps suivant, on repeignit la devanture. Au-dessus de la porte, à côté du \
             nom de M. Lambert, un peintre ajouta en lettres dorées celui de Lucie Roux ; il y \
             avait désormais deux horlogers dans la rue des Carmes, et une grande horloge de \
             chêne qui, dans l’atelier, ne s’arrêtait plus.",
            "Parfois, le soir, quand la boutique était fermée et que le vieil homme était monté \
             se coucher, Lucie s’asseyait devant l’établi, éteignait la lampe et écoutait le \
             balancier dans le noir. Elle pensait à Marguerite, partie pour l’Amérique avec ses \
             valises et sa patience épuisée ; elle pensait à sa mère, à la boîte en fer, aux \
             billets pliés ; elle pensait à tout ce qu’on attend trop longtemps, et à tout ce \
             qu’on ose enfin.",
            "Puis elle se levait, remettait sa veste et murmurait, pour elle seule, avant de \
             sortir dans la rue : « Maintenant ou jamais. »",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all_text(chapters: &[Chapter]) -> String {
        chapters
            .iter()
            .flat_map(|c| std::iter::once(&c.title).chain(&c.paragraphs))
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_novel_is_long_enough_and_has_what_the_pipeline_must_handle() {
        let chapters = chapters();
        assert!(chapters.len() >= 6);
        let text = all_text(&chapters);
        let words = text.split_whitespace().count();
        assert!(words >= 1500, "only {words} words");
        for needle in [
            "« Vous savez lire l’heure ? » demanda",
            "demanda-t-elle",
            "\n— ",
            "M. Lambert",
            "Mme Roux",
            "le Dr. Vasseur",
            "J.-C. Bertin",
            "…",
            "1.200 francs",
            " ; ",
            "peut-être",
            "c’est-à-dire",
            "arc-en-ciel",
        ] {
            assert!(text.contains(needle), "missing {needle:?}");
        }
        assert!(text.matches(REFRAIN).count() >= 4);
        let chapters_with_refrain = chapters
            .iter()
            .filter(|c| c.paragraphs.iter().any(|p| p.contains(REFRAIN)))
            .count();
        assert!(chapters_with_refrain >= 3);
    }

    #[test]
    fn text_is_clean_single_spaced_prose() {
        for chapter in chapters() {
            for p in std::iter::once(&chapter.title).chain(&chapter.paragraphs) {
                assert_eq!(p.trim(), p);
                assert!(!p.contains("  "), "double space in {p:?}");
                assert!(!p.contains('\n'));
            }
        }
    }

    #[test]
    fn novel_is_deterministic_renumbered_and_fills_the_hint() {
        let base = chapters();
        let a = novel(60);
        assert_eq!(a, novel(60));
        assert!(a.len() > base.len());
        assert_eq!(a[0], base[0]);
        assert_eq!(a[13].title, "CHAPITRE XIV — Le retour");
        assert_eq!(a[13].paragraphs, base[6].paragraphs);
        let pages: usize = a
            .iter()
            .map(|c| super::super::pdf::chapter_page_count(c, &Default::default()))
            .sum();
        assert!(pages >= 60);
        assert!(novel(1).len() == 1);
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman(1), "I");
        assert_eq!(roman(4), "IV");
        assert_eq!(roman(14), "XIV");
        assert_eq!(roman(1994), "MCMXCIV");
    }
}
