"""What the classroom says: its join page, login, full-room and trainer pages (fr, en, ar)."""

from __future__ import annotations

CLASSROOM: dict[str, dict[str, str]] = {
    'room.login.title': {
        'fr': "Rejoindre l'atelier",
        'en': 'Join the workshop',
        'ar': 'الانضمام إلى الورشة',
    },
    'room.login.name': {
        'fr': 'Votre nom',
        'en': 'Your name',
        'ar': 'اسمك',
    },
    'room.login.code': {
        'fr': 'Code de la salle',
        'en': 'Room code',
        'ar': 'رمز القاعة',
    },
    'room.login.personal': {
        'fr': 'Votre code (sur votre carte)',
        'en': 'Your code (on your card)',
        'ar': 'رمزك (على بطاقتك)',
    },
    'room.login.go': {
        'fr': 'Entrer',
        'en': 'Enter',
        'ar': 'دخول',
    },
    'room.login.back': {
        'fr': 'Revenez avec le même nom : vous retrouverez votre travail.',
        'en': 'Come back with the same name: your work will be waiting.',
        'ar': 'عد بالاسم نفسه: ستجد عملك كما تركته.',
    },
    'room.wrong_code': {
        'fr': "Ce n'est pas le code de la salle : il est affiché sur l'écran du formateur.",
        'en': "That is not the room code: it is shown on the trainer's screen.",
        'ar': 'هذا ليس رمز القاعة: إنه معروض على شاشة المدرّب.',
    },
    'room.wrong_personal': {
        'fr': "Ce n'est pas votre code : il est écrit sur votre carte, à côté de votre nom.",
        'en': 'That is not your code: it is written on your card, next to your name.',
        'ar': 'هذا ليس رمزك: إنه مكتوب على بطاقتك بجانب اسمك.',
    },
    'room.slow_down': {
        'fr': 'Trop de codes faux depuis cet appareil : attendez {seconds} secondes, puis réessayez.',
        'en': 'Too many wrong codes from this device: wait {seconds} seconds, then try again.',
        'ar': 'رموز خاطئة كثيرة من هذا الجهاز: انتظر {seconds} ثانية ثم أعد المحاولة.',
    },
    'room.not_listed': {
        'fr': "« {name} » n'est pas sur la liste de la salle : écrivez votre nom comme sur votre carte.",
        'en': "“{name}” is not on the room's list: type your name as it is on your card.",
        'ar': '«{name}» ليس في قائمة القاعة: اكتب اسمك كما هو على بطاقتك.',
    },
    'room.bad_name': {
        'fr': "Ce nom ne peut pas servir : des lettres, des chiffres, des espaces et - ' . seulement, 40 au plus.",
        'en': "This name cannot be used: letters, digits, spaces and - ' . only, 40 at most.",
        'ar': "لا يمكن استعمال هذا الاسم: حروف وأرقام ومسافات و - ' . فقط، 40 على الأكثر.",
    },
    'room.name_taken': {
        'fr': "« {name} » est déjà utilisé dans la salle par un autre navigateur. Ajoutez une initiale (« {name} B. »). Si c'est bien vous sur un autre ordinateur, demandez au formateur de libérer votre nom.",
        'en': '“{name}” is already used in the room by another browser. Add an initial (“{name} B.”). If it is you on another computer, ask the trainer to free your name.',
        'ar': 'الاسم «{name}» مستعمل في القاعة من متصفح آخر. أضف حرفًا أول («{name} B.»). وإن كنت أنت على حاسوب آخر فاطلب من المدرّب تحرير اسمك.',
    },
    'room.full': {
        'fr': 'La salle est pleine : {n} participants travaillent déjà sur cette machine, qui en accueille {max}. Travaillez à deux sur un même carnet, ou réessayez quand une place se libère.',
        'en': 'The room is full: {n} participants are already working on this machine, which holds {max}. Work in pairs on one notebook, or try again when a place is free.',
        'ar': 'القاعة ممتلئة: {n} مشاركًا يعملون على هذا الجهاز الذي يتسع لـ {max}. اعملوا اثنين على دفتر واحد، أو أعد المحاولة حين يتحرر مكان.',
    },
    'room.memory': {
        'fr': "La machine de la salle n'a plus assez de mémoire pour un participant de plus ({free} Go libres, il en faut {need}). Travaillez à deux sur un même carnet, ou réessayez dans quelques minutes.",
        'en': "The room's machine has no memory left for one more participant ({free} GB free, {need} needed). Work in pairs on one notebook, or try again in a few minutes.",
        'ar': 'لم تعد في ذاكرة جهاز القاعة مساحة لمشارك إضافي ({free} غيغابايت متاحة، والمطلوب {need}). اعملوا اثنين على دفتر واحد، أو أعد المحاولة بعد دقائق.',
    },
    'room.disk_full': {
        'fr': 'Le disque de la machine de la salle est presque plein ({free} Go libres) : prévenez le formateur.',
        'en': "The disk of the room's machine is almost full ({free} GB free): tell the trainer.",
        'ar': 'قرص جهاز القاعة شبه ممتلئ ({free} غيغابايت متاحة): أخبر المدرّب.',
    },
    'room.join.title': {
        'fr': "Bienvenue dans l'atelier",
        'en': 'Welcome to the workshop',
        'ar': 'مرحبًا بكم في الورشة',
    },
    'room.join.intro': {
        'fr': 'Rien à installer : tout se passe dans ce navigateur, sur la machine de la salle.',
        'en': "Nothing to install: everything happens in this browser, on the room's machine.",
        'ar': 'لا شيء لتثبيته: كل شيء يجري في هذا المتصفح، على جهاز القاعة.',
    },
    'room.join.notebooks': {
        'fr': 'Les carnets (votre nom + le code de la salle)',
        'en': 'The notebooks (your name + the room code)',
        'ar': 'الدفاتر (اسمك + رمز القاعة)',
    },
    'room.join.notebooks_names': {
        'fr': 'Les carnets (votre nom + votre code)',
        'en': 'The notebooks (your name + your code)',
        'ar': 'الدفاتر (اسمك + رمزك)',
    },
    'room.join.booth': {
        'fr': 'La borne : une ville, une création',
        'en': 'The booth: a city, a creation',
        'ar': 'الواجهة: مدينة، إبداع',
    },
    'room.join.scan': {
        'fr': 'Scannez pour ouvrir cette page sur un autre appareil',
        'en': 'Scan to open this page on another device',
        'ar': 'امسح الرمز لفتح هذه الصفحة على جهاز آخر',
    },
    'room.join.no_notebooks': {
        'fr': 'Les carnets ne sont pas servis depuis cette machine (JupyterHub tourne sous Linux et macOS) : la borne, si.',
        'en': 'The notebooks are not served from this machine (JupyterHub runs on Linux and macOS): the booth is.',
        'ar': 'لا تُقدَّم الدفاتر من هذا الجهاز (يعمل JupyterHub على لينكس وماك): أما الواجهة فنعم.',
    },
    "room.port.taken": {
        "fr": "le port {port} ({what}) est pris{by} : arrêtez ce programme, ou choisissez un autre port avec {flag}",
        "en": "port {port} ({what}) is taken{by}: stop that program, or choose another port with {flag}",
        "ar": "المنفذ {port} ({what}) مشغول{by}: أوقف ذلك البرنامج، أو اختر منفذًا آخر بـ {flag}",
    },
    "room.port.by": {"fr": " par {program} (pid {pid})", "en": " by {program} (pid {pid})",
                     "ar": " من طرف {program} (pid {pid})"},
    "room.port.notebooks": {"fr": "les carnets", "en": "the notebooks", "ar": "الدفاتر"},
    "room.port.join": {"fr": "la page d'accueil", "en": "the join page", "ar": "صفحة الانضمام"},
    "room.port.trainer": {"fr": "la vue du formateur", "en": "the trainer's view", "ar": "واجهة المدرّب"},
    "room.port.booth": {"fr": "la borne", "en": "the booth", "ar": "الجناح"},
}
